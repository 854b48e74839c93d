import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { random, setThreads, getThreads } from '../lib/index';
import { assertClose, assertRejectsCode, assertThrowsCode } from './helpers';

// The known-answer vectors published with Random123 (kat_vectors: philox4x32 10, counter, key, result).
const KAT: [number[], number[], number[]][] = [
  [[0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]],
  [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]],
  [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]],
];

test('Philox4x32-10 reproduces the Random123 known-answer vectors', () => {
  for (const [counter, key, expected] of KAT) {
    assert.equal(Array.from(random.philox4x32(counter, key)), expected);
  }
});

test('word i of (seed, stream) is word i%4 of the block with counter (i/4, stream) and key seed', () => {
  const seed = 0x1234567890abn;
  const stream = 7;
  const words = random.bits(10, { seed, stream });
  for (let i = 0; i < 10; i++) {
    const block = random.philox4x32([Math.floor(i / 4), 0, stream, 0], [Number(seed & 0xffffffffn), Number(seed >> 32n)]);
    assert.is(words[i], block[i % 4], `word ${i}`);
  }
});

test('uniform values lie in [low, high) with the right mean and variance', () => {
  const n = 200_000;
  const u = random.uniform(n, { seed: 3, low: -2, high: 6 });
  let sum = 0;
  let sq = 0;
  for (const x of u) {
    assert.ok(x >= -2 && x < 6);
    sum += x;
    sq += x * x;
  }
  const mean = sum / n;
  const variance = sq / n - mean * mean;
  assertClose(mean, 2, 0, 0.03, 'mean');
  assertClose(variance, 64 / 12, 0, 0.06, 'variance');
});

function normalCdf(x: number): number {
  // Abramowitz-Stegun 7.1.26 erf approximation (|error| < 1.5e-7), independent of the library.
  const t = 1 / (1 + 0.3275911 * Math.abs(x / Math.SQRT2));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}

test('normal values pass a Kolmogorov-Smirnov test against N(mean, std)', () => {
  const n = 100_000;
  const z = Array.from(random.normal(n, { seed: 42, stream: 1, mean: 1.5, std: 2 })).sort((a, b) => a - b);
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = normalCdf((z[i] - 1.5) / 2);
    d = Math.max(d, Math.abs(f - i / n), Math.abs(f - (i + 1) / n));
  }
  // The 1% critical value of the KS statistic is 1.63/sqrt(n).
  assert.ok(d < 1.63 / Math.sqrt(n), `KS statistic ${d}`);
});

test('different streams and seeds give different sequences; the same ones repeat exactly', () => {
  const a = random.bits(64, { seed: 1, stream: 0 });
  assert.equal(random.bits(64, { seed: 1, stream: 0 }), a);
  assert.not.equal(random.bits(64, { seed: 1, stream: 1 }), a);
  assert.not.equal(random.bits(64, { seed: 2, stream: 0 }), a);
});

test('fills are identical whatever the thread count', () => {
  const before = getThreads();
  try {
    setThreads(1);
    const one = random.normal(300_001, { seed: 9 });
    setThreads(2);
    const two = random.normal(300_001, { seed: 9 });
    assert.equal(Buffer.from(one.buffer), Buffer.from(two.buffer));
  } finally {
    setThreads(before);
  }
});

test('async fills resolve to the same values as sync ones', async () => {
  assert.equal(await random.uniformAsync(1000, { seed: 5, low: 1, high: 2 }), random.uniform(1000, { seed: 5, low: 1, high: 2 }));
  assert.equal(await random.normalAsync(999, { seed: 5 }), random.normal(999, { seed: 5 }));
});

test('bad arguments are errors with codes', async () => {
  assertThrowsCode(() => random.uniform(-1), 'ERR_RECKIT_OUT_OF_RANGE', RangeError);
  assertThrowsCode(() => random.uniform(1.5), 'ERR_RECKIT_OUT_OF_RANGE', RangeError);
  assertThrowsCode(() => random.uniform('3' as unknown as number), 'ERR_RECKIT_INVALID_ARG', TypeError);
  assertThrowsCode(() => random.uniform(3, { seed: -1 }), 'ERR_RECKIT_OUT_OF_RANGE', RangeError);
  assertThrowsCode(() => random.uniform(3, { seed: 1n << 64n }), 'ERR_RECKIT_OUT_OF_RANGE', RangeError);
  assertThrowsCode(() => random.uniform(3, { low: 1, high: 1 }), 'ERR_RECKIT_OUT_OF_RANGE', RangeError);
  assertThrowsCode(() => random.normal(3, { std: NaN }), 'ERR_RECKIT_OUT_OF_RANGE', RangeError);
  assertThrowsCode(() => random.normal(3, { std: -1 }), 'ERR_RECKIT_OUT_OF_RANGE', RangeError);
  assertThrowsCode(() => random.uniform(3, { device: 'tpu' as 'cpu' }), 'ERR_RECKIT_INVALID_ARG', TypeError);
  assertThrowsCode(() => random.philox4x32([1, 2, 3], [1, 2]), 'ERR_RECKIT_DIM_MISMATCH', RangeError);
  await assertRejectsCode(random.uniformAsync(-5), 'ERR_RECKIT_OUT_OF_RANGE');
});

test('asking for the CUDA device where it is unavailable says why', () => {
  const { info } = require('../lib/index') as typeof import('../lib/index');
  if (info().cuda.available) return; // a GPU machine runs the device path in test:cuda
  try {
    random.uniform(8, { device: 'cuda' });
    assert.unreachable('expected ERR_RECKIT_NO_DEVICE');
  } catch (error) {
    const e = error as Error & { code?: string };
    assert.is(e.code, 'ERR_RECKIT_NO_DEVICE');
    assert.ok(e.message.length > 30 && e.message.includes(info().cuda.reason!.slice(0, 20)), e.message);
  }
  // 'auto' falls back to the CPU and gives the CPU's numbers.
  assert.equal(random.uniform(8, { device: 'auto', seed: 4 }), random.uniform(8, { seed: 4 }));
});

test.run();
