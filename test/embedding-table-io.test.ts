// EmbeddingTable persistence: save/load, toBuffer/fromBuffer and mmap round trips (with optimizer
// state), the file checked with the independent JS safetensors reader, and corrupt/truncated inputs.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EmbeddingTable, readSafetensors, writeSafetensors } from '../lib/index';
import { randomFloats, randomIds } from './embedding-reference';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reckit-table-'));
const ROWS = 64;
const DIM = 10;

function throwsCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (error) {
    assert.is((error as { code?: string }).code, code, (error as Error).message);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

function trained(optimizer: 'adam' | 'adagrad'): EmbeddingTable {
  const t = EmbeddingTable.fromArray(ROWS, DIM, randomFloats(ROWS * DIM, 1));
  for (let s = 0; s < 3; s++) {
    t.step(randomIds(40, ROWS, 10 + s), new Uint32Array([0, 10, 20, 30]), randomFloats(4 * DIM, 20 + s), { optimizer, lr: 0.05, mode: 'mean' });
  }
  return t;
}

function same(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

test('save writes a safetensors file the JS reader understands, and load restores it bit for bit', () => {
  const t = trained('adam');
  const file = path.join(dir, 'plain.safetensors');
  t.save(file);
  const raw = readSafetensors(file);
  assert.is(raw.metadata['reckit.kind'], 'EmbeddingTable');
  assert.is(raw.metadata['reckit.embedding.optimizer'], 'none');
  assert.equal(Object.keys(raw.tensors), ['weight']);
  assert.is(raw.tensors.weight.dtype, 'F32');
  assert.equal(raw.tensors.weight.shape, [ROWS, DIM]);
  assert.ok(same(raw.tensors.weight.data as Float32Array, t.data()));
  const back = EmbeddingTable.load(file);
  assert.is(back.rows, ROWS);
  assert.is(back.dim, DIM);
  assert.ok(same(back.data(), t.data()));
  assert.is(back.optimizerState, null);
});

for (const optimizer of ['adam', 'adagrad'] as const) {
  test(`optimizer state (${optimizer}) round-trips: training continues identically after a reload`, async () => {
    const t = trained(optimizer);
    const file = path.join(dir, `${optimizer}.safetensors`);
    await t.saveAsync(file, { optimizerState: true });
    const raw = readSafetensors(file);
    assert.is(raw.metadata['reckit.embedding.optimizer'], optimizer);
    const back = await EmbeddingTable.loadAsync(file, { optimizerState: true });
    const fromBuf = EmbeddingTable.fromBuffer(t.toBuffer({ optimizerState: true }), { optimizerState: true });
    assert.is(back.optimizerState, optimizer);
    assert.is(back.memoryUsage().optimizerBytes, t.memoryUsage().optimizerBytes);
    const ids = randomIds(40, ROWS, 99);
    const offsets = new Uint32Array([0, 13, 27]);
    const grad = randomFloats(3 * DIM, 98);
    for (const x of [t, back, fromBuf]) x.step(ids, offsets, grad, { optimizer, lr: 0.05 });
    assert.ok(same(back.data(), t.data()));
    assert.ok(same(fromBuf.data(), t.data()));
  });
}

test('toBuffer/fromBuffer round-trip without state; subarray views of a buffer load too', () => {
  const t = EmbeddingTable.fromArray(ROWS, DIM, randomFloats(ROWS * DIM, 5));
  const bytes = t.toBuffer();
  const padded = new Uint8Array(bytes.length + 16);
  padded.set(bytes, 8);
  assert.ok(same(EmbeddingTable.fromBuffer(bytes).data(), t.data()));
  assert.ok(same(EmbeddingTable.fromBuffer(padded.subarray(8, 8 + bytes.length)).data(), t.data()));
});

test('toBufferAsync/fromBufferAsync round-trip with state; a corrupt buffer rejects with CORRUPT_FILE', async () => {
  const t = trained('adam');
  const bytes = await t.toBufferAsync({ optimizerState: true });
  assert.ok(bytes.equals(t.toBuffer({ optimizerState: true })));
  const back = await EmbeddingTable.fromBufferAsync(bytes, { optimizerState: true });
  assert.ok(same(back.data(), t.data()));
  assert.is(back.optimizerState, 'adam');
  try {
    await EmbeddingTable.fromBufferAsync(bytes.subarray(0, bytes.length - 3));
    assert.unreachable('expected a rejection');
  } catch (error) {
    assert.is((error as { code?: string }).code, 'ERR_RECKIT_CORRUPT_FILE');
  }
});

test('mmap loads a read-only table: lookups work, writes raise INVALID_ARG, clone() is writable', () => {
  const t = EmbeddingTable.fromArray(ROWS, DIM, randomFloats(ROWS * DIM, 6));
  const file = path.join(dir, 'mapped.safetensors');
  t.save(file);
  const m = EmbeddingTable.load(file, { mmap: true });
  assert.ok(m.readOnly);
  assert.equal(m.memoryUsage(), { tableBytes: ROWS * DIM * 4, optimizerBytes: 0, mapped: true, deviceBytes: 0, totalBytes: ROWS * DIM * 4 });
  const ids = randomIds(50, ROWS, 7);
  assert.ok(same(m.lookup(ids), t.lookup(ids)));
  assert.ok(same(m.lookupBag(ids, [0, 20], { mode: 'max' }), t.lookupBag(ids, [0, 20], { mode: 'max' })));
  const g = m.bagBackward(ids, [0, 20], randomFloats(2 * DIM, 8));
  assert.ok(g.rows.length > 0);
  throwsCode(() => m.set(0, new Float32Array(DIM)), 'ERR_RECKIT_INVALID_ARG');
  throwsCode(() => m.step(ids, null, new Float32Array(50 * DIM), { optimizer: 'sgd', lr: 1 }), 'ERR_RECKIT_INVALID_ARG');
  throwsCode(() => EmbeddingTable.load(file, { mmap: true, optimizerState: true }), 'ERR_RECKIT_INVALID_ARG');
  assert.ok(same(m.data(), t.data()));
  const c = m.clone();
  assert.not.ok(c.readOnly);
  c.set(0, new Float32Array(DIM).fill(2));
  assert.is(m.get(0)[0], t.get(0)[0]);
  if (process.platform === 'linux') {
    assert.ok(fs.readFileSync('/proc/self/maps', 'utf8').includes(file), 'the file is mapped');
  }
  m.dispose();
  assert.is(m.memoryUsage().totalBytes, 0);
});

test('a mapped table keeps its rows when the file is atomically replaced; another process maps the new one', () => {
  const file = path.join(dir, 'replaced.safetensors');
  const first = EmbeddingTable.fromArray(ROWS, DIM, randomFloats(ROWS * DIM, 11));
  first.save(file);
  const m = EmbeddingTable.load(file, { mmap: true });
  const second = EmbeddingTable.fromArray(ROWS, DIM, randomFloats(ROWS * DIM, 12));
  second.save(file);
  assert.ok(same(m.data(), first.data()));
  assert.ok(same(EmbeddingTable.load(file, { mmap: true }).data(), second.data()));
  const script = `const { EmbeddingTable } = require(${JSON.stringify(path.resolve(__dirname, '../lib/index'))});
    const t = EmbeddingTable.load(${JSON.stringify(file)}, { mmap: true });
    process.stdout.write(JSON.stringify({ ro: t.readOnly, row: Array.from(t.get(3)) }));`;
  const child = spawnSync(process.execPath, ['-r', 'tsx/cjs', '-e', script], { encoding: 'utf8' });
  assert.is(child.status, 0, child.stderr);
  const out = JSON.parse(child.stdout) as { ro: boolean; row: number[] };
  assert.ok(out.ro);
  assert.equal(out.row, Array.from(second.get(3)));
});

test('truncated, corrupted, foreign and missing files raise CORRUPT_FILE / IO', () => {
  const t = trained('adagrad');
  const bytes = t.toBuffer({ optimizerState: true });
  for (const cut of [0, 4, 8, 20, 100, bytes.length - 1]) {
    const file = path.join(dir, `cut-${cut}.safetensors`);
    fs.writeFileSync(file, bytes.subarray(0, cut));
    throwsCode(() => EmbeddingTable.load(file), 'ERR_RECKIT_CORRUPT_FILE');
    throwsCode(() => EmbeddingTable.load(file, { mmap: true }), 'ERR_RECKIT_CORRUPT_FILE');
    throwsCode(() => EmbeddingTable.fromBuffer(bytes.subarray(0, cut)), 'ERR_RECKIT_CORRUPT_FILE');
  }
  const flipped = Buffer.from(bytes);
  flipped[flipped.length - 5] ^= 0x40;
  throwsCode(() => EmbeddingTable.fromBuffer(flipped), 'ERR_RECKIT_CORRUPT_FILE');
  const foreign = writeSafetensors(null, { weight: { dtype: 'F32', shape: [2, 2], data: new Float32Array(4) } }, { 'reckit.kind': 'CosineIndex' });
  throwsCode(() => EmbeddingTable.fromBuffer(foreign), 'ERR_RECKIT_CORRUPT_FILE');
  const wrongShape = writeSafetensors(null, { weight: { dtype: 'F32', shape: [4], data: new Float32Array(4) } }, { 'reckit.kind': 'EmbeddingTable' });
  throwsCode(() => EmbeddingTable.fromBuffer(wrongShape), 'ERR_RECKIT_CORRUPT_FILE');
  const wrongDtype = writeSafetensors(null, { weight: { dtype: 'F64', shape: [2, 2], data: new Float64Array(4) } }, { 'reckit.kind': 'EmbeddingTable' });
  throwsCode(() => EmbeddingTable.fromBuffer(wrongDtype), 'ERR_RECKIT_CORRUPT_FILE');
  const nan = writeSafetensors(null, { weight: { dtype: 'F32', shape: [1, 2], data: new Float32Array([1, Number.NaN]) } }, { 'reckit.kind': 'EmbeddingTable' });
  throwsCode(() => EmbeddingTable.fromBuffer(nan), 'ERR_RECKIT_CORRUPT_FILE');
  const missingState = t.toBuffer();
  const back = EmbeddingTable.fromBuffer(missingState, { optimizerState: true });
  assert.is(back.optimizerState, null);
  throwsCode(() => EmbeddingTable.load(path.join(dir, 'nope.safetensors')), 'ERR_RECKIT_IO');
  throwsCode(() => t.save(path.join(dir, 'no-such-dir', 'x.safetensors')), 'ERR_RECKIT_IO');
  throwsCode(() => EmbeddingTable.fromBuffer([1, 2] as unknown as Uint8Array), 'ERR_RECKIT_INVALID_ARG');
  throwsCode(() => EmbeddingTable.load(''), 'ERR_RECKIT_INVALID_ARG');
});

test('a failed save leaves the previous file intact', () => {
  const file = path.join(dir, 'keep.safetensors');
  const t = EmbeddingTable.fromArray(ROWS, DIM, randomFloats(ROWS * DIM, 13));
  t.save(file);
  const before = fs.readFileSync(file);
  const disposed = EmbeddingTable.fromArray(ROWS, DIM, randomFloats(ROWS * DIM, 14));
  disposed.dispose();
  throwsCode(() => disposed.save(file), 'ERR_RECKIT_DISPOSED');
  assert.ok(fs.readFileSync(file).equals(before));
  assert.equal(fs.readdirSync(dir).filter((n) => n.startsWith('keep') && n !== 'keep.safetensors'), []);
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

test.run();
