// CosineIndex persistence: save/load, toBuffer/fromBuffer and mmap give the same answers as the original
// (every storage, with rerank); corrupt, truncated or foreign files are ERR_RECKIT_CORRUPT_FILE.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CosineIndex, writeSafetensors } from '../lib/index';
import { randomIds, randomVectors } from './helpers/topk-reference';

type Coded = Error & { code: string };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reckit-index-'));
const dim = 19;

function sameResults(a: CosineIndex, b: CosineIndex, q: Float32Array, label: string) {
  for (const k of [1, 7, 500]) {
    const x = a.searchSync(q, { k });
    const y = b.searchSync(q, { k });
    assert.equal(Array.from(y.ids), Array.from(x.ids), `${label} ids k=${k}`);
    assert.equal(Array.from(y.scores), Array.from(x.scores), `${label} scores k=${k}`);
  }
}

for (const [storage, rerank, metric] of [['f32', false, 'cosine'], ['bf16', true, 'cosine'], ['f16', false, 'ip'], ['i8', true, 'ip'], ['i8', false, 'cosine']] as const) {
  test(`${storage}${rerank ? ' + rerank' : ''} ${metric}: save/load, buffer and mmap round trips answer identically`, async () => {
    const index = new CosineIndex({ dim, storage, rerank, metric });
    const ids = randomIds(300, 301);
    index.add(ids, randomVectors(300, dim, 302));
    index.remove(ids.slice(0, 40));  // a swapped-around layout
    const q = randomVectors(3, dim, 303);
    const file = path.join(dir, `${storage}-${rerank}-${metric}.safetensors`);
    index.save(file);
    await index.saveAsync(file + '.2');
    const loaded = [
      CosineIndex.load(file),
      CosineIndex.load(file + '.2', { mmap: true }),
      await CosineIndex.loadAsync(file),
      CosineIndex.fromBuffer(index.toBuffer()),
    ];
    for (const [i, l] of loaded.entries()) {
      assert.is(l.size, 260);
      assert.is(l.storage, storage);
      assert.is(l.metric, metric);
      assert.is(l.rerank, rerank);
      assert.equal(Array.from(l.get(ids[100]) as Float32Array), Array.from(index.get(ids[100]) as Float32Array));
      sameResults(index, l, q, `copy ${i}`);
    }
    // A mapped index copies on its first write and keeps working; the file is unchanged.
    const mapped = loaded[1];
    const bytes = fs.readFileSync(file + '.2');
    mapped.add([1e12], randomVectors(1, dim, 304));
    mapped.remove([ids[50]]);
    index.add([1e12], randomVectors(1, dim, 304));
    index.remove([ids[50]]);
    sameResults(index, mapped, q, 'mapped after writes');
    assert.ok(fs.readFileSync(file + '.2').equals(bytes));
  });
}

test('an empty index round-trips', () => {
  const index = new CosineIndex({ dim: 3 });
  const copy = CosineIndex.fromBuffer(index.toBuffer());
  assert.is(copy.size, 0);
  assert.equal(Array.from(copy.searchSync(new Float32Array([1, 0, 0]), { k: 2 }).ids), [-1, -1]);
});

test('corrupt, truncated and foreign files are ERR_RECKIT_CORRUPT_FILE; a missing file is ERR_RECKIT_IO', () => {
  const index = new CosineIndex({ dim, storage: 'i8', rerank: true });
  index.add(randomIds(64, 311), randomVectors(64, dim, 312));
  const good = index.toBuffer();
  const expectCode = (fn: () => unknown, code: string, label: string) => {
    let caught: unknown;
    try {
      fn();
    } catch (e) {
      caught = e;
    }
    assert.is((caught as Coded | undefined)?.code, code, label);
  };
  // Every truncation point and a flipped byte in every region (header, ids, vectors, scales, exact).
  for (const cut of [0, 4, 8, 20, good.length >> 1, good.length - 1]) {
    expectCode(() => CosineIndex.fromBuffer(good.subarray(0, cut)), 'ERR_RECKIT_CORRUPT_FILE', `truncated at ${cut}`);
  }
  for (const at of [9, 40, good.length - 2000, good.length - 500, good.length - 3]) {
    const bad = Buffer.from(good);
    bad[at] ^= 0x5a;
    expectCode(() => CosineIndex.fromBuffer(bad), 'ERR_RECKIT_CORRUPT_FILE', `flipped byte ${at}`);
  }
  const file = path.join(dir, 'truncated.safetensors');
  fs.writeFileSync(file, good.subarray(0, good.length - 10));
  expectCode(() => CosineIndex.load(file), 'ERR_RECKIT_CORRUPT_FILE', 'truncated file');
  expectCode(() => CosineIndex.load(file, { mmap: true }), 'ERR_RECKIT_CORRUPT_FILE', 'truncated mapped file');
  expectCode(() => CosineIndex.load(path.join(dir, 'nope.safetensors')), 'ERR_RECKIT_IO', 'missing');
  // A valid safetensors file that is not a CosineIndex, and one with a duplicated id.
  const foreign = writeSafetensors(null, { x: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } }, { 'reckit.kind': 'Mlp' });
  expectCode(() => CosineIndex.fromBuffer(foreign), 'ERR_RECKIT_CORRUPT_FILE', 'foreign kind');
  const two = new CosineIndex({ dim: 2, metric: 'ip' });
  two.add([1, 2], new Float32Array([1, 0, 0, 1]));
  const meta = { 'reckit.kind': 'CosineIndex', 'reckit.cosine_index.version': '1', dim: '2', metric: 'ip', storage: 'f32', rerank: 'false' };
  const dup = writeSafetensors(null, {
    ids: { dtype: 'U64', shape: [2], data: new BigUint64Array([7n, 7n]) },
    vectors: { dtype: 'F32', shape: [2, 16], data: new Float32Array(32).fill(0.5, 0, 2) },
  }, meta);
  expectCode(() => CosineIndex.fromBuffer(dup), 'ERR_RECKIT_CORRUPT_FILE', 'duplicate ids');
  const nan = writeSafetensors(null, {
    ids: { dtype: 'U64', shape: [1], data: new BigUint64Array([7n]) },
    vectors: { dtype: 'F32', shape: [1, 16], data: new Float32Array(16).fill(NaN, 0, 1) },
  }, meta);
  expectCode(() => CosineIndex.fromBuffer(nan), 'ERR_RECKIT_CORRUPT_FILE', 'NaN vector');
  const badShape = writeSafetensors(null, {
    ids: { dtype: 'U64', shape: [1], data: new BigUint64Array([7n]) },
    vectors: { dtype: 'F32', shape: [1, 2], data: new Float32Array(2) },
  }, meta);
  expectCode(() => CosineIndex.fromBuffer(badShape), 'ERR_RECKIT_CORRUPT_FILE', 'unpadded shape');
  // A failed save leaves nothing behind and throws ERR_RECKIT_IO.
  expectCode(() => index.save(path.join(dir, 'no-such-dir', 'x.safetensors')), 'ERR_RECKIT_IO', 'save into a missing directory');
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
