// Pooled embedding lookups and their backward on the CUDA backend against the CPU EmbeddingTable: plain
// gathers, sum / mean / max bags with weights, empty bags (first, middle, last), repeated rows and dim tails;
// floats within 1e-6.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EmbeddingTable } from '../../lib/index';
import { seededFloats } from '../helpers';
import { assertAllClose, cuda, requireCudaBackend } from './cuda-backend';

requireCudaBackend();

const MODES = ['sum', 'mean', 'max'] as const;

interface Case {
  rows: number;
  dim: number;
  ids: number[];
  offsets: number[] | null;
  weighted: boolean;
  note: string;
}

const CASES: Case[] = [
  { rows: 10, dim: 1, ids: [3, 3, 0, 9], offsets: null, weighted: false, note: 'plain gather, dim 1' },
  { rows: 50, dim: 129, ids: [49, 0, 7, 7, 12, 3, 3, 3], offsets: null, weighted: false, note: 'gather, dim tail past 128' },
  { rows: 20, dim: 7, ids: [1, 2, 3, 4, 5, 6, 7], offsets: [0, 0, 3, 3, 7], weighted: false, note: 'empty first, middle, last bags' },
  { rows: 20, dim: 33, ids: [5, 19, 5, 0, 2, 2, 11, 13, 17], offsets: [0, 4, 5], weighted: true, note: 'weighted bags' },
  { rows: 300, dim: 256, ids: Array.from({ length: 64 }, (_, i) => (i * 37) % 300), offsets: [0, 1, 33, 40], weighted: true, note: 'two dim blocks' },
];

for (const c of CASES) {
  for (const mode of c.offsets ? MODES : (['sum'] as const)) {
    test(`embedding ${c.offsets ? `bag ${mode}` : 'gather'} rows=${c.rows} dim=${c.dim} n=${c.ids.length}${c.weighted ? ' weighted' : ''}: ${c.note}`, () => {
      const data = seededFloats(c.rows * c.dim, c.rows + c.dim);
      const table = EmbeddingTable.fromArray(c.rows, c.dim, data, { device: 'cpu' });
      const ids = Uint32Array.from(c.ids);
      const weights = c.weighted ? seededFloats(c.ids.length, 99) : null;
      const expected = c.offsets
        ? table.lookupBag(ids, Uint32Array.from(c.offsets), { mode, ...(weights ? { weights } : {}) })
        : table.lookup(ids);
      const actual = cuda.embeddingBag(data, c.rows, c.dim, ids, c.offsets ? Uint32Array.from(c.offsets) : null,
        weights, MODES.indexOf(mode) as 0 | 1 | 2);
      assertAllClose(actual, expected, 1e-6, 1e-6, 'out');
      table.dispose();
    });
  }
}

// The deterministic backward (sum and mean; max stays on the CPU): rows ascending and equal, grads within 1e-6.
for (const c of CASES) {
  for (const mode of c.offsets ? (['sum', 'mean'] as const) : (['sum'] as const)) {
    test(`embedding backward ${c.offsets ? `bag ${mode}` : 'gather'} rows=${c.rows} dim=${c.dim} n=${c.ids.length}${c.weighted ? ' weighted' : ''}: ${c.note}`, () => {
      const table = EmbeddingTable.fromArray(c.rows, c.dim, seededFloats(c.rows * c.dim, c.rows + c.dim), { device: 'cpu' });
      const ids = Uint32Array.from(c.ids);
      const weights = c.weighted ? seededFloats(c.ids.length, 99) : null;
      const bags = c.offsets ? c.offsets.length : c.ids.length;
      const gradOut = seededFloats(bags * c.dim, 7 + bags);
      const expected = c.offsets
        ? table.bagBackward(ids, Uint32Array.from(c.offsets), gradOut, { mode, ...(weights ? { weights } : {}) })
        : table.lookupBackward(ids, gradOut);
      const actual = cuda.embeddingBagBackward(c.rows, c.dim, ids, c.offsets ? Uint32Array.from(c.offsets) : null,
        weights, mode === 'sum' ? 0 : 1, gradOut);
      assert.equal(Array.from(actual.rows), Array.from(expected.rows), 'touched rows, ascending');
      assertAllClose(actual.grads, expected.grads, 1e-6, 1e-6, 'grads');
      table.dispose();
    });
  }
}

test('embedding backward: max bags are refused (they run on the CPU)', () => {
  try {
    cuda.embeddingBagBackward(4, 2, Uint32Array.from([0, 1]), Uint32Array.from([0]), null, 2, new Float32Array(2));
    assert.unreachable('should throw');
  } catch (e) {
    assert.is((e as { code?: string }).code, 'ERR_RECKIT_INVALID_ARG');
  }
});

test('embedding: a row id past the table and bad offsets are refused before any copy', () => {
  const data = new Float32Array(8);
  const code = (f: () => void): [string, string] => {
    try {
      f();
    } catch (e) {
      return [String((e as { code?: string }).code), String(e)];
    }
    return ['no error', ''];
  };
  const [c1, m1] = code(() => cuda.embeddingBag(data, 4, 2, Uint32Array.from([0, 4]), null, null, 0));
  assert.is(c1, 'ERR_RECKIT_INVALID_ARG');
  assert.match(m1, /ids\[1\] = 4/);
  const [c2] = code(() => cuda.embeddingBag(data, 4, 2, Uint32Array.from([0, 1]), Uint32Array.from([1, 2]), null, 0));
  assert.is(c2, 'ERR_RECKIT_INVALID_ARG');
  const [c3] = code(() => cuda.embeddingBag(data, 4, 2, Uint32Array.from([0, 1]), Uint32Array.from([0, 2, 1]), null, 0));
  assert.is(c3, 'ERR_RECKIT_INVALID_ARG');
});

test.run();
