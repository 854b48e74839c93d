// Philox on the CUDA backend gives the CPU's values bit for bit: same (seed, stream), same floats.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { random } from '../../lib/index';
import { requireCudaBackend } from './cuda-backend';

requireCudaBackend();

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

const CASES: { n: number; seed: number | bigint; stream: number | bigint; low: number; high: number }[] = [
  { n: 0, seed: 1, stream: 0, low: 0, high: 1 },
  { n: 1, seed: 0, stream: 0, low: 0, high: 1 },
  { n: 3, seed: 42, stream: 7, low: -1, high: 1 },  // a partial Philox block
  { n: 4, seed: 42, stream: 7, low: -1, high: 1 },
  { n: 1025, seed: 0xfedcba9876543210n, stream: 2n ** 40n + 3n, low: -0.05, high: 0.05 },  // a partial CUDA block
  { n: 4 * 256 * 3 + 5, seed: 123456789, stream: 1, low: 3.25, high: 1e6 },
];

for (const c of CASES) {
  test(`philox uniform n=${c.n} seed=${c.seed} stream=${c.stream} [${c.low}, ${c.high}): bit-equal to the CPU`, async () => {
    const options = { seed: c.seed, stream: c.stream, low: c.low, high: c.high };
    const cpu = random.uniform(c.n, { ...options, device: 'cpu' });
    const gpu = random.uniform(c.n, { ...options, device: 'cuda' });
    assert.equal(bits(gpu), bits(cpu));
    const gpuAsync = await random.uniformAsync(c.n, { ...options, device: 'cuda' });
    assert.equal(bits(gpuAsync), bits(cpu));
  });
}

test.run();
