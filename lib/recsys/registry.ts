/**
 * The recommender registry: the names `reckit evaluate --models` and the demo accept, how to build each
 * model and how to load a saved one. Models land here as their native ops arrive; names planned but not
 * in this build are rejected with a message that lists what is available.
 */
import { invalidArg, reckitError } from '../errors';
import { readSafetensors } from '../safetensors';
import type { Recommender } from './model';
import { Bpr, type BprOptions } from './bpr';
import { ItemKnn, UserKnn, type KnnOptions } from './knn';
import { TopPop } from './toppop';
import { CFGAN } from './cfgan';

export interface ModelEntry {
  name: string;
  summary: string;
  create(options?: Record<string, unknown>): Recommender;
  load(source: string | Uint8Array): Recommender;
}

const entries: ModelEntry[] = [
  { name: 'toppop', summary: 'most popular items for everyone (baseline)', create: () => new TopPop(), load: (s) => TopPop.load(s) },
  { name: 'itemknn', summary: 'item-based cosine neighbours with shrinkage', create: (o) => new ItemKnn(o as KnnOptions), load: (s) => ItemKnn.load(s) },
  { name: 'userknn', summary: 'user-based cosine neighbours with shrinkage', create: (o) => new UserKnn(o as KnnOptions), load: (s) => UserKnn.load(s) },
  { name: 'bpr', summary: 'matrix factorisation with the BPR loss (native sparse training)', create: (o) => new Bpr(o as BprOptions), load: (s) => Bpr.load(s) },
  { name: 'cfgan', summary: 'CFGAN: conditional GAN over purchase vectors (Chae et al. 2018)', create: (o) => new CFGAN(o), load: (s) => CFGAN.load(s) },
];

/** Models the evaluate CLI knows by name but that this build does not have yet. */
export const PLANNED_MODELS: readonly string[] = [];

/** Adds (or replaces) a model under its name. */
export function registerModel(entry: ModelEntry): void {
  if (!entry || typeof entry.name !== 'string' || typeof entry.create !== 'function' || typeof entry.load !== 'function') {
    throw invalidArg('registerModel needs { name, summary, create, load }');
  }
  const at = entries.findIndex((e) => e.name === entry.name);
  if (at >= 0) entries[at] = entry;
  else entries.push(entry);
}

export function modelEntries(): readonly ModelEntry[] {
  return entries;
}

export function modelNames(): string[] {
  return entries.map((e) => e.name);
}

/** The entry for `name`, or an INVALID_ARG error naming the available models. */
export function modelEntry(name: string): ModelEntry {
  const entry = entries.find((e) => e.name === name);
  if (entry) return entry;
  const available = modelNames().join(', ');
  if (PLANNED_MODELS.includes(name)) throw invalidArg(`model '${name}' is not available in this build yet (available: ${available})`);
  throw invalidArg(`unknown model '${name}' (available: ${available})`);
}

export function createModel(name: string, options?: Record<string, unknown>): Recommender {
  return modelEntry(name).create(options);
}

/** Loads any saved recommender, choosing the model by the file's `reckit.kind`. */
export function loadModel(source: string | Uint8Array): Recommender {
  const kind = readSafetensors(source).metadata['reckit.kind'] ?? '';
  if (!kind.startsWith('recsys.')) throw reckitError('ERR_RECKIT_CORRUPT_FILE', `not a saved recommender (kind '${kind}')`);
  return modelEntry(kind.slice('recsys.'.length)).load(source);
}
