/**
 * The contract every recommender in reckit implements (TopPop here; ItemKNN, UserKNN, BPR and CFGAN plug
 * in the same way), and a base class holding what they all share: the id maps, each user's seen items,
 * item popularity (the documented cold-start fallback), argument checks, top-k shaping, dispose, and the
 * common part of save/load.
 */
import { invalidArg, outOfRange, reckitError } from '../errors';
import { writeSafetensors, type SafetensorsContent, type SafetensorsTensor } from '../safetensors';
import { requireInteger, requireObject } from '../validate';
import { IdMap, itemCounts, itemsByUser, type Interactions, type RawId, type UserItems } from './interactions';
import { topK } from './metrics';

export interface FitProgress {
  /** What is running, e.g. `'epoch'`. */
  phase: string;
  done: number;
  total: number;
  /** The current training loss, when the model has one. */
  loss?: number;
}

export interface FitOptions {
  seed?: number;
  /** Called as training advances (models with long fits call it per epoch or chunk). */
  onProgress?: (p: FitProgress) => void;
}

export interface FitReport {
  /** Loss per epoch for iterative models; empty for closed-form ones. */
  losses: number[];
}

export interface RecommendOptions {
  /** How many items (default 10); must not exceed the catalogue. Fewer come back when fewer are candidates. */
  k?: number;
  /** Leave out items the user has in the training data (default true). */
  excludeSeen?: boolean;
  /** For a user not in the training data: `'error'` (default) raises OUT_OF_RANGE; `'popular'` returns TopPop. */
  coldStart?: 'error' | 'popular';
}

export interface SimilarOptions {
  k?: number;
}

export interface Recommendation {
  /** The caller's item id. */
  item: RawId;
  /** The item's dense index in the model. */
  index: number;
  score: number;
}

/** What the evaluator and applications need of a recommender. */
export interface Recommender {
  /** The registry name (`toppop`, `itemknn`, ...). */
  readonly name: string;
  readonly fitted: boolean;
  readonly numUsers: number;
  readonly numItems: number;
  /** Trains on `train` (replacing any previous state); heavy models run off the event loop. */
  fit(train: Interactions, options?: FitOptions): Promise<FitReport>;
  /**
   * The batch scoring hook: scores of every item for each user index, row-major
   * (`users.length × numItems`). Seen items are not masked here; the caller decides.
   */
  scoreUsers(users: Int32Array): Float32Array | Promise<Float32Array>;
  recommend(user: RawId, options?: RecommendOptions): Recommendation[];
  /** {@link recommend} with the scoring through the batch hook (every RecommenderBase model has it). */
  recommendAsync?(user: RawId, options?: RecommendOptions): Promise<Recommendation[]>;
  similarItems(item: RawId, options?: SimilarOptions): Recommendation[];
  /** The user's index in the model (-1 when unknown). */
  userIndex(user: RawId): number;
  itemIndex(item: RawId): number;
  /** Writes the model to a safetensors file (atomic). */
  save(path: string): void;
  /** The same bytes as {@link save}, in memory. */
  toBuffer(): Buffer;
  /** Releases the model's memory; later calls raise ERR_RECKIT_DISPOSED. */
  dispose(): void;
}

/** The state every model keeps from its training data. */
export interface BaseState {
  userIds: IdMap;
  itemIds: IdMap;
  seen: UserItems;
  popularity: Float64Array;
}

/** Shared machinery; a model implements the scoring and its own tensors. */
export abstract class RecommenderBase implements Recommender {
  abstract readonly name: string;
  protected state: BaseState | null = null;
  private disposed = false;

  get fitted(): boolean {
    return this.state !== null;
  }

  get numUsers(): number {
    return this.state?.userIds.size ?? 0;
  }

  get numItems(): number {
    return this.state?.itemIds.size ?? 0;
  }

  abstract fit(train: Interactions, options?: FitOptions): Promise<FitReport>;

  /** Scores of all items for user index `u` into `out` (length numItems). */
  protected abstract scoreUserInto(u: number, out: Float32Array): void;

  /** Similarity of every item to item index `i` into `out`; `i` itself is excluded by the caller. */
  protected abstract similarInto(i: number, out: Float32Array): void;

  /** The model's own tensors for save(); the base adds id maps, seen items and popularity. */
  protected abstract modelTensors(): Record<string, SafetensorsTensor>;

  /** Model-specific settings saved as metadata (JSON). */
  protected modelConfig(): Record<string, unknown> {
    return {};
  }

  /** Checks the training input and records the shared state. */
  protected setBase(train: Interactions): BaseState {
    this.checkAlive();
    checkInteractions(train);
    if (train.users.length === 0) throw invalidArg('train has no interactions');
    this.state = { userIds: train.userIds, itemIds: train.itemIds, seen: itemsByUser(train), popularity: itemCounts(train) };
    return this.state;
  }

  protected checkAlive(): void {
    if (this.disposed) throw reckitError('ERR_RECKIT_DISPOSED', `this ${this.name} model was disposed`);
  }

  protected fittedState(): BaseState {
    this.checkAlive();
    if (!this.state) throw reckitError('ERR_RECKIT_INVALID_ARG', `this ${this.name} model is not fitted yet: call fit() or load()`);
    return this.state;
  }

  userIndex(user: RawId): number {
    return this.fittedState().userIds.indexOf(checkId(user, 'user'));
  }

  itemIndex(item: RawId): number {
    return this.fittedState().itemIds.indexOf(checkId(item, 'item'));
  }

  scoreUsers(users: Int32Array): Float32Array | Promise<Float32Array> {
    const st = this.fittedState();
    if (!(users instanceof Int32Array)) throw invalidArg('users must be an Int32Array of user indices');
    const n = st.itemIds.size;
    for (let j = 0; j < users.length; j++) {
      if (users[j] < 0 || users[j] >= st.userIds.size) throw outOfRange(`users[${j}] = ${users[j]} is outside 0..${st.userIds.size - 1}`);
    }
    const out = new Float32Array(users.length * n);
    for (let j = 0; j < users.length; j++) this.scoreUserInto(users[j], out.subarray(j * n, (j + 1) * n));
    return out;
  }

  recommend(user: RawId, options: RecommendOptions = {}): Recommendation[] {
    const st = this.fittedState();
    const o = requireObject(options, 'options');
    const k = this.checkK(o.k);
    const excludeSeen = o.excludeSeen === undefined ? true : requireBoolean(o.excludeSeen, 'options.excludeSeen');
    const coldStart = o.coldStart ?? 'error';
    if (coldStart !== 'error' && coldStart !== 'popular') throw invalidArg("options.coldStart must be 'error' or 'popular'");
    const u = st.userIds.indexOf(checkId(user, 'user'));
    const n = st.itemIds.size;
    const scores = new Float32Array(n);
    let excluded: Uint8Array | undefined;
    // A user the id map knows but with no training rows has nothing to score from (KNN gives all zeros,
    // BPR an untrained vector): the same cold start as an unknown user.
    if (u < 0 || st.seen.offsets[u] === st.seen.offsets[u + 1]) {
      if (coldStart === 'error') {
        const why = u < 0 ? 'not in the training data' : 'no interactions in the training data';
        throw outOfRange(`unknown user '${String(user)}': ${why} (pass coldStart: 'popular' for the most popular items)`);
      }
      for (let i = 0; i < n; i++) scores[i] = st.popularity[i];
    } else {
      this.scoreUserInto(u, scores);
      if (excludeSeen) {
        excluded = new Uint8Array(n);
        for (let j = st.seen.offsets[u]; j < st.seen.offsets[u + 1]; j++) excluded[st.seen.items[j]] = 1;
      }
    }
    return this.shape(scores, k, excluded);
  }

  /**
   * {@link recommend} for servers: the user's scores come from {@link scoreUsers}, which BPR, the KNN
   * models and CFGAN compute natively (BPR and KNN off the event loop). Same options, results and errors.
   */
  async recommendAsync(user: RawId, options: RecommendOptions = {}): Promise<Recommendation[]> {
    const st = this.fittedState();
    const o = requireObject(options, 'options');
    const k = this.checkK(o.k);
    const excludeSeen = o.excludeSeen === undefined ? true : requireBoolean(o.excludeSeen, 'options.excludeSeen');
    const u = st.userIds.indexOf(checkId(user, 'user'));
    if (u < 0 || st.seen.offsets[u] === st.seen.offsets[u + 1]) return this.recommend(user, options); // cold start: popularity or the error, no scoring
    const scores = await this.scoreUsers(Int32Array.of(u));
    const after = this.fittedState(); // disposed or refitted meanwhile: answer from the current state only
    if (after !== st) throw reckitError('ERR_RECKIT_INVALID_ARG', `this ${this.name} model was refitted or reloaded during recommendAsync`);
    let excluded: Uint8Array | undefined;
    if (excludeSeen) {
      excluded = new Uint8Array(st.itemIds.size);
      for (let j = st.seen.offsets[u]; j < st.seen.offsets[u + 1]; j++) excluded[st.seen.items[j]] = 1;
    }
    return this.shape(scores, k, excluded);
  }

  similarItems(item: RawId, options: SimilarOptions = {}): Recommendation[] {
    const st = this.fittedState();
    const o = requireObject(options, 'options');
    const k = this.checkK(o.k, 1);
    const i = st.itemIds.indexOf(checkId(item, 'item'));
    if (i < 0) throw outOfRange(`unknown item '${String(item)}': not in the training data`);
    const scores = new Float32Array(st.itemIds.size);
    this.similarInto(i, scores);
    const excluded = new Uint8Array(st.itemIds.size);
    excluded[i] = 1;
    return this.shape(scores, k, excluded);
  }

  save(path: string): void {
    if (typeof path !== 'string' || path.length === 0) throw invalidArg('path must be a non-empty string');
    const { tensors, metadata } = this.serialize();
    writeSafetensors(path, tensors, metadata);
  }

  toBuffer(): Buffer {
    const { tensors, metadata } = this.serialize();
    return writeSafetensors(null, tensors, metadata);
  }

  dispose(): void {
    this.state = null;
    this.disposed = true;
  }

  /** Restores the shared state from a file's content; models call it from their static load(). */
  protected restoreBase(content: SafetensorsContent, kind: string): Record<string, unknown> {
    const meta = content.metadata;
    if (meta['reckit.kind'] !== kind) {
      throw reckitError('ERR_RECKIT_CORRUPT_FILE', `not a ${kind} file (kind '${meta['reckit.kind'] ?? 'none'}')`);
    }
    const userIds = parseIdMap(meta['reckit.userIds'], 'userIds');
    const itemIds = parseIdMap(meta['reckit.itemIds'], 'itemIds');
    const offsets = tensor(content, 'seen.offsets', 'I32', [userIds.size + 1]) as Int32Array;
    const items = tensor(content, 'seen.items', 'I32', null) as Int32Array;
    const popularity = tensor(content, 'popularity', 'F64', [itemIds.size]) as Float64Array;
    if (offsets[0] !== 0 || offsets[userIds.size] !== items.length) throw reckitError('ERR_RECKIT_CORRUPT_FILE', 'seen.offsets do not match seen.items');
    for (let u = 0; u < userIds.size; u++) {
      if (offsets[u + 1] < offsets[u]) throw reckitError('ERR_RECKIT_CORRUPT_FILE', 'seen.offsets are not monotone');
    }
    for (let j = 0; j < items.length; j++) {
      if (items[j] < 0 || items[j] >= itemIds.size) throw reckitError('ERR_RECKIT_CORRUPT_FILE', `seen.items[${j}] is out of range`);
    }
    this.state = { userIds, itemIds, seen: { offsets, items }, popularity };
    try {
      return JSON.parse(meta['reckit.config'] ?? '{}') as Record<string, unknown>;
    } catch {
      throw reckitError('ERR_RECKIT_CORRUPT_FILE', 'reckit.config metadata is not JSON');
    }
  }

  private serialize(): { tensors: Record<string, SafetensorsTensor>; metadata: Record<string, string> } {
    const st = this.fittedState();
    const tensors: Record<string, SafetensorsTensor> = {
      'seen.offsets': { dtype: 'I32', shape: [st.seen.offsets.length], data: st.seen.offsets },
      'seen.items': { dtype: 'I32', shape: [st.seen.items.length], data: st.seen.items },
      popularity: { dtype: 'F64', shape: [st.popularity.length], data: st.popularity },
      ...this.modelTensors(),
    };
    const metadata = {
      'reckit.kind': `recsys.${this.name}`,
      'reckit.version': '1',
      'reckit.config': JSON.stringify(this.modelConfig()),
      'reckit.userIds': JSON.stringify(st.userIds.toArray()),
      'reckit.itemIds': JSON.stringify(st.itemIds.toArray()),
    };
    return { tensors, metadata };
  }

  private checkK(value: unknown, reserve = 0): number {
    const n = this.fittedState().itemIds.size;
    const k = value === undefined ? Math.min(10, n - reserve) : requireInteger(value, 'options.k', 1);
    if (k > n - reserve) throw outOfRange(`options.k (${k}) is larger than the catalogue (${n - reserve} candidate items)`);
    if (k < 1) throw outOfRange('the catalogue has no candidate items');
    return k;
  }

  private shape(scores: Float32Array, k: number, excluded?: Uint8Array): Recommendation[] {
    const st = this.fittedState();
    return Array.from(topK(scores, k, excluded), (i) => ({ item: st.itemIds.idOf(i), index: i, score: scores[i] }));
  }
}

/** Checks an interaction log's structure (lengths, index ranges) before a model trains on it. */
export function checkInteractions(x: unknown): asserts x is Interactions {
  const t = x as Interactions;
  if (t === null || typeof t !== 'object' || !(t.users instanceof Int32Array) || !(t.items instanceof Int32Array) || !(t.userIds instanceof IdMap) || !(t.itemIds instanceof IdMap)) {
    throw invalidArg('expected Interactions (from loadInteractions, fromRows or a split)');
  }
  if (t.items.length !== t.users.length || t.ratings.length !== t.users.length) throw invalidArg('interactions arrays differ in length');
  for (let r = 0; r < t.users.length; r++) {
    if (t.users[r] < 0 || t.users[r] >= t.numUsers || t.items[r] < 0 || t.items[r] >= t.numItems) {
      throw outOfRange(`interaction row ${r} has an index outside the id maps`);
    }
  }
}

function checkId(id: unknown, name: string): RawId {
  if (typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id))) return id;
  throw invalidArg(`${name} must be a string or a finite number`);
}

function requireBoolean(v: unknown, name: string): boolean {
  if (typeof v !== 'boolean') throw invalidArg(`${name} must be a boolean`);
  return v;
}

function parseIdMap(text: string | undefined, name: string): IdMap {
  let ids: unknown;
  try {
    ids = JSON.parse(text ?? '');
  } catch {
    throw reckitError('ERR_RECKIT_CORRUPT_FILE', `metadata ${name} is missing or not JSON`);
  }
  if (!Array.isArray(ids) || !ids.every((v) => typeof v === 'string' || typeof v === 'number')) {
    throw reckitError('ERR_RECKIT_CORRUPT_FILE', `metadata ${name} is not a list of ids`);
  }
  try {
    return IdMap.from(ids as RawId[]);
  } catch {
    throw reckitError('ERR_RECKIT_CORRUPT_FILE', `metadata ${name} has duplicate ids`);
  }
}

/** A tensor of a loaded file with its dtype and (when given) shape checked. */
export function tensor(content: SafetensorsContent, name: string, dtype: string, shape: number[] | null): SafetensorsTensor['data'] {
  const t = content.tensors[name];
  if (!t) throw reckitError('ERR_RECKIT_CORRUPT_FILE', `tensor '${name}' is missing`);
  if (t.dtype !== dtype) throw reckitError('ERR_RECKIT_CORRUPT_FILE', `tensor '${name}' is ${t.dtype}, expected ${dtype}`);
  if (shape && (t.shape.length !== shape.length || t.shape.some((d, j) => d !== shape[j]))) {
    throw reckitError('ERR_RECKIT_CORRUPT_FILE', `tensor '${name}' has shape [${t.shape}], expected [${shape}]`);
  }
  return t.data;
}
