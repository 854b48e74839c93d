/**
 * Objects large enough (over 8 MB saved) that a save takes long enough to be killed part-way,
 * built deterministically from a seed, for the durability test and its child.
 */
import { CosineIndex, EmbeddingTable, Gan, Mlp } from '../../lib/index';
import { values } from './entry-points';

export interface Saveable {
  save(path: string): void;
  toBuffer(): Uint8Array;
}

export const BIG_KINDS = ['index', 'table', 'mlp', 'gan'] as const;

export function bigObject(kind: string, seed: number): Saveable {
  switch (kind) {
    case 'index': {
      const n = 50_000, dim = 80;
      const index = new CosineIndex({ dim, metric: 'ip' });
      index.add(Float64Array.from({ length: n }, (_, i) => i * 3 + seed), values(n * dim, seed));
      return index;
    }
    case 'table':
      return EmbeddingTable.fromArray(100_000, 40, values(100_000 * 40, seed));
    case 'mlp':
      return new Mlp({ input: 1024, layers: [{ units: 2048, activation: 'relu' }, { units: 512 }], seed });
    case 'gan':
      return new Gan({ dataDim: 256, noiseDim: 128, generator: [{ units: 4096 }], discriminator: [{ units: 4096 }], seed });
    default:
      throw new Error(`unknown kind ${kind}`);
  }
}

/** Loads a saved file of `kind` through the public loader and returns its bytes as saved again. */
export function loadAndImage(kind: string, path: string, options: { mmap?: boolean } = {}): Uint8Array {
  switch (kind) {
    case 'index': return CosineIndex.load(path, options).toBuffer();
    case 'table': return EmbeddingTable.load(path, options).toBuffer();
    case 'mlp': return Mlp.load(path).toBuffer();
    case 'gan': return Gan.load(path).toBuffer();
    default: throw new Error(`unknown kind ${kind}`);
  }
}
