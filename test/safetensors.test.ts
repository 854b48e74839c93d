import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readSafetensors, writeSafetensors, xxh64, type SafetensorsTensor } from '../lib/index';
import { assertThrowsCode, seededFloats } from './helpers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reckit-st-'));

function sample(): Record<string, SafetensorsTensor> {
  return {
    weights: { dtype: 'F32', shape: [3, 5], data: seededFloats(15, 1) },
    ids: { dtype: 'U64', shape: [4], data: new BigUint64Array([0n, 1n, 2n ** 53n, 2n ** 64n - 1n]) },
    scale: { dtype: 'F64', shape: [], data: new Float64Array([Math.PI]) },
    codes: { dtype: 'I8', shape: [2, 2], data: new Int8Array([-128, -1, 0, 127]) },
    halves: { dtype: 'BF16', shape: [3], data: new Uint16Array([0x3f80, 0xbf80, 0x7f80]) },
    empty: { dtype: 'I32', shape: [0, 7], data: new Int32Array(0) },
  };
}

test('XXH64 matches the reference values of the xxHash spec', () => {
  assert.is(xxh64(new Uint8Array(0)), 0xef46db3751d8e999n);
  assert.is(xxh64(new TextEncoder().encode('abc')), 0x44bc2cf5ad770999n);
  // Streaming and one-shot agree across the 32-byte stripe boundary.
  const bytes = new Uint8Array(100).map((_, i) => i * 7);
  assert.is(xxh64(bytes), xxh64(new Uint8Array(bytes)));
  assert.is.not(xxh64(bytes), xxh64(bytes.subarray(1)));
});

test('every dtype round-trips through a file and a buffer, metadata included', () => {
  const file = path.join(dir, 'all.safetensors');
  writeSafetensors(file, sample(), { author: 'test', 'unicode é✓': 'snowman ☃' });
  for (const source of [file, writeSafetensors(null, sample(), { author: 'test', 'unicode é✓': 'snowman ☃' })]) {
    const back = readSafetensors(source);
    assert.is(back.metadata.author, 'test');
    assert.is(back.metadata['unicode é✓'], 'snowman ☃');
    assert.match(back.metadata['reckit.xxh64'], /^[0-9a-f]{16}$/);
    for (const [name, t] of Object.entries(sample())) {
      assert.is(back.tensors[name].dtype, t.dtype, name);
      assert.equal(back.tensors[name].shape, t.shape, name);
      assert.equal(Array.from(back.tensors[name].data as ArrayLike<unknown>), Array.from(t.data as ArrayLike<unknown>), name);
    }
  }
});

test('the header is valid safetensors: 8-byte aligned, no holes, data_offsets in order', () => {
  const buf = writeSafetensors(null, sample());
  const headerLength = Number(buf.readBigUInt64LE(0));
  assert.is(headerLength % 8, 0);
  const header = JSON.parse(buf.subarray(8, 8 + headerLength).toString('utf8'));
  const ranges = Object.entries(header).filter(([k]) => k !== '__metadata__').map(([, v]) => (v as { data_offsets: number[] }).data_offsets);
  ranges.sort((a, b) => a[0] - b[0]);
  let cursor = 0;
  for (const [begin, end] of ranges) {
    assert.is(begin, cursor);
    cursor = end;
  }
  assert.is(cursor, buf.length - 8 - headerLength);
});

test('a flipped data byte fails the checksum; truncation and bad headers are ERR_RECKIT_CORRUPT_FILE', () => {
  const good = writeSafetensors(null, sample());
  const flipped = Buffer.from(good);
  flipped[flipped.length - 3] ^= 0x10;
  assertThrowsCode(() => readSafetensors(flipped), 'ERR_RECKIT_CORRUPT_FILE');
  for (const cut of [0, 4, 8, 20, good.length - 1]) {
    assertThrowsCode(() => readSafetensors(good.subarray(0, cut)), 'ERR_RECKIT_CORRUPT_FILE');
  }
  const huge = Buffer.from(good);
  huge.writeBigUInt64LE(2n ** 63n, 0);
  assertThrowsCode(() => readSafetensors(huge), 'ERR_RECKIT_CORRUPT_FILE');
  const headerOf = (json: string) => {
    const h = Buffer.from(json);
    const b = Buffer.alloc(8 + h.length + 8);
    b.writeBigUInt64LE(BigInt(h.length), 0);
    h.copy(b, 8);
    return b;
  };
  const bad = [
    '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,9]}}', // past the end
    '{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', // shape/bytes disagree
    '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}', // overlap
    '{"a":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}}', // unknown dtype
    '{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', // negative dim
    '{"a":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,4]}}', // overflow
    '{"a":1,"a":2}', // duplicate key
    '{"a":', // truncated JSON
    '[' .repeat(100) + ']'.repeat(100), // too deep
    '{"__metadata__":{"k":5}}', // non-string metadata
  ];
  for (const json of bad) assertThrowsCode(() => readSafetensors(headerOf(json)), 'ERR_RECKIT_CORRUPT_FILE');
});

test('saving is atomic: a failed save leaves the previous file intact and no temp file behind', () => {
  const file = path.join(dir, 'keep.safetensors');
  writeSafetensors(file, sample(), { version: 'one' });
  // A tensor whose typed array does not match its dtype makes the save fail before anything is published.
  assertThrowsCode(
    () => writeSafetensors(file, { x: { dtype: 'F32', shape: [2], data: new Int32Array(2) } }),
    'ERR_RECKIT_INVALID_ARG',
    TypeError,
  );
  assertThrowsCode(() => writeSafetensors(path.join(dir, 'no-such-dir', 'x.safetensors'), sample()), 'ERR_RECKIT_IO');
  assert.is(readSafetensors(file).metadata.version, 'one');
  assert.equal(fs.readdirSync(dir).filter((f) => f.includes('.tmp-')), []);
  writeSafetensors(file, sample(), { version: 'two' });
  assert.is(readSafetensors(file).metadata.version, 'two');
});

test('reading a missing file is ERR_RECKIT_IO; wrong argument types are ERR_RECKIT_INVALID_ARG', () => {
  assertThrowsCode(() => readSafetensors(path.join(dir, 'missing.safetensors')), 'ERR_RECKIT_IO');
  assertThrowsCode(() => readSafetensors(42 as unknown as string), 'ERR_RECKIT_INVALID_ARG', TypeError);
  assertThrowsCode(
    () => writeSafetensors(null, { x: { dtype: 'F32', shape: [3], data: new Float32Array(2) } }),
    'ERR_RECKIT_DIM_MISMATCH',
    RangeError,
  );
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
