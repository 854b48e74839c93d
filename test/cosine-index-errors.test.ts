// Bad input to CosineIndex: each case is a JS error with its code, and the index is left unchanged
// (same size, same search results). Also use after dispose, sync and async.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CosineIndex } from '../lib/index';
import { randomIds, randomVectors } from './helpers/topk-reference';

type Coded = Error & { code: string };
const dim = 6;

function fixture() {
  const index = new CosineIndex({ dim });
  const ids = randomIds(50, 201);
  index.add(ids, randomVectors(50, dim, 202));
  const q = randomVectors(2, dim, 203);
  const before = index.searchSync(q, { k: 60 });
  const unchanged = () => {
    assert.is(index.size, 50);
    const after = index.searchSync(q, { k: 60 });
    assert.equal(Array.from(after.ids), Array.from(before.ids));
    assert.equal(Array.from(after.scores), Array.from(before.scores));
  };
  return { index, ids, q, unchanged };
}

function throwsCode(fn: () => unknown, code: string, type: ErrorConstructor | RangeErrorConstructor | TypeErrorConstructor, label: string) {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof type, `${label}: expected ${type.name}, got ${String(caught)}`);
  assert.is((caught as Coded).code, code, label);
}

const INVALID = 'ERR_RECKIT_INVALID_ARG', RANGE = 'ERR_RECKIT_OUT_OF_RANGE', DIM = 'ERR_RECKIT_DIM_MISMATCH';

test('constructor options are checked', () => {
  throwsCode(() => new CosineIndex({ dim: 0 }), RANGE, RangeError, 'dim 0');
  throwsCode(() => new CosineIndex({ dim: 2.5 }), RANGE, RangeError, 'dim 2.5');
  throwsCode(() => new CosineIndex({} as never), INVALID, TypeError, 'no dim');
  throwsCode(() => new CosineIndex({ dim: 4, metric: 'l2' as never }), INVALID, TypeError, 'metric');
  throwsCode(() => new CosineIndex({ dim: 4, storage: 'f8' as never }), INVALID, TypeError, 'storage');
  throwsCode(() => new CosineIndex({ dim: 4, rerank: 1 as never }), INVALID, TypeError, 'rerank');
  throwsCode(() => new CosineIndex({ dim: 4, isa: 'sse9' as never }), INVALID, TypeError, 'isa');
});

test('add and upsert: wrong lengths, NaN/Inf, zero vectors, bad and duplicate ids', () => {
  const { index, ids, unchanged } = fixture();
  const v = (n: number) => randomVectors(n, dim, 204);
  const cases: [string, () => void, string, ErrorConstructor][] = [
    ['short vectors', () => index.add([1, 2], v(1)), DIM, RangeError],
    ['vectors not Float32Array', () => index.add([1], Array.from(v(1)) as never), INVALID, TypeError],
    ['NaN', () => { const x = v(2); x[7] = NaN; index.add([1, 2], x); }, RANGE, RangeError],
    ['Infinity', () => { const x = v(2); x[3] = -Infinity; index.upsert([1, 2], x); }, RANGE, RangeError],
    ['zero vector under cosine', () => index.add([1, 2], new Float32Array(2 * dim).fill(0, dim).fill(1, 0, dim)), RANGE, RangeError],
    ['negative id', () => index.add([-1], v(1)), RANGE, RangeError],
    ['fractional id', () => index.add([1.5], v(1)), RANGE, RangeError],
    ['id above 2^53-1', () => index.add([2 ** 53], v(1)), RANGE, RangeError],
    ['bigint id above 2^63-1', () => index.add([1n << 63n], v(1)), RANGE, RangeError],
    ['negative id in a Float64Array', () => index.add(new Float64Array([-3]), v(1)), RANGE, RangeError],
    ['string id', () => index.add(['7'] as never, v(1)), INVALID, TypeError],
    ['ids not an array', () => index.add(7 as never, v(1)), INVALID, TypeError],
    ['existing id', () => index.add([999999999, ids[3]], v(2)), INVALID, TypeError],
    ['id twice in one call', () => index.add([5, 5], v(2)), INVALID, TypeError],
    ['id twice in one upsert', () => index.upsert([ids[1], ids[1]], v(2)), INVALID, TypeError],
  ];
  for (const [label, fn, code, type] of cases) {
    throwsCode(fn, code, type, label);
    unchanged();
  }
});

test('remove: unknown or repeated ids remove nothing', () => {
  const { index, ids, unchanged } = fixture();
  throwsCode(() => index.remove([ids[0], 12345678]), RANGE, RangeError, 'unknown id');
  unchanged();
  throwsCode(() => index.remove([ids[0], ids[0]]), INVALID, TypeError, 'repeated id');
  unchanged();
  throwsCode(() => index.remove([-4]), RANGE, RangeError, 'negative id');
  unchanged();
});

test('search: bad queries, k, exclusions and filters', async () => {
  const { index, ids, q, unchanged } = fixture();
  const cases: [string, () => void, string, ErrorConstructor][] = [
    ['query length not a multiple of dim', () => index.searchSync(new Float32Array(dim + 1), { k: 1 }), DIM, RangeError],
    ['empty queries', () => index.searchSync(new Float32Array(0), { k: 1 }), DIM, RangeError],
    ['queries not Float32Array', () => index.searchSync(new Float64Array(dim) as never, { k: 1 }), INVALID, TypeError],
    ['NaN query', () => { const x = Float32Array.from(q); x[2] = NaN; index.searchSync(x, { k: 1 }); }, RANGE, RangeError],
    ['zero query under cosine', () => index.searchSync(new Float32Array(dim), { k: 1 }), RANGE, RangeError],
    ['k = 0', () => index.searchSync(q, { k: 0 }), RANGE, RangeError],
    ['k = -3', () => index.searchSync(q, { k: -3 }), RANGE, RangeError],
    ['k = 2.5', () => index.searchSync(q, { k: 2.5 }), RANGE, RangeError],
    ['k missing', () => index.searchSync(q, {} as never), INVALID, TypeError],
    ['k a string', () => index.searchSync(q, { k: '3' as never }), INVALID, TypeError],
    ['offsets of the wrong length', () => index.searchSync(q, { k: 2, exclude: { ids: [ids[0]], offsets: [0, 1] } }), DIM, RangeError],
    ['offsets not ending at ids.length', () => index.searchSync(q, { k: 2, exclude: { ids: [ids[0]], offsets: [0, 1, 2] } }), RANGE, RangeError],
    ['decreasing offsets', () => index.searchSync(q, { k: 2, exclude: { ids: [ids[0], ids[1]], offsets: [0, 2, 1] } }), RANGE, RangeError],
    ['filter with allow and deny', () => index.searchSync(q, { k: 2, filter: { allow: [1], deny: [2] } as never }), INVALID, TypeError],
    ['filter with a negative id', () => index.searchSync(q, { k: 2, filter: { deny: [-1] } }), RANGE, RangeError],
  ];
  for (const [label, fn, code, type] of cases) {
    throwsCode(fn, code, type, label);
    unchanged();
  }
  // The async form rejects with the same errors (never throws synchronously).
  let rejected: unknown;
  await index.search(q, { k: 0 }).catch((e) => (rejected = e));
  assert.is((rejected as Coded).code, RANGE);
  await index.search(new Float32Array(dim), { k: 1 }).catch((e) => (rejected = e));
  assert.is((rejected as Coded).code, RANGE);
  unchanged();
});

test('use after dispose is ERR_RECKIT_DISPOSED, sync and async; dispose twice is harmless', async () => {
  const { index, q } = fixture();
  index.dispose();
  index.dispose();
  const D = 'ERR_RECKIT_DISPOSED';
  throwsCode(() => index.size, D, Error, 'size');
  throwsCode(() => index.searchSync(q, { k: 1 }), D, Error, 'searchSync');
  throwsCode(() => index.add([1], randomVectors(1, dim, 1)), D, Error, 'add');
  throwsCode(() => index.remove([1]), D, Error, 'remove');
  throwsCode(() => index.has(1), D, Error, 'has');
  throwsCode(() => index.get(1), D, Error, 'get');
  throwsCode(() => index.toBuffer(), D, Error, 'toBuffer');
  let rejected: unknown;
  await index.search(q, { k: 1 }).catch((e) => (rejected = e));
  assert.is((rejected as Coded).code, D);
  assert.is(index.memoryUsage().total, 0);
  assert.is(index.dim, dim);
});

test('has/get check their id argument', () => {
  const { index } = fixture();
  throwsCode(() => index.has(-1), RANGE, RangeError, 'has(-1)');
  throwsCode(() => index.get(0.5), RANGE, RangeError, 'get(0.5)');
  throwsCode(() => index.has('1' as never), INVALID, TypeError, "has('1')");
  assert.is(index.has(2 ** 40), false);
});

test.run();
