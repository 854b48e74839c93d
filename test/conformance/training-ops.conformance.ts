// Element-wise training ops on the CUDA backend: the mean loss and its gradient against the CPU's computeLoss
// (BCE with logits and MSE, block tails and a grid-stride size), and the dense Adam step against a float
// reference of core/optimizers.h's formula (every operation rounded to float, as the kernel does) over three
// steps with weight decay. Loss within 1e-6 relative, gradients and parameters within 1e-6 relative + 1e-7.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { computeLoss } from '../../lib/index';
import { seededFloats } from '../helpers';
import { assertAllClose, cuda, requireCudaBackend } from './cuda-backend';

requireCudaBackend();

for (const loss of ['bce_with_logits', 'mse'] as const) {
  for (const n of [1, 127, 128, 129, 20_000]) {
    test(`loss ${loss} n=${n}: mean and gradient match computeLoss`, () => {
      const z = seededFloats(n, n + 1).map((x) => x * 8);
      const y = loss === 'bce_with_logits' ? seededFloats(n, n + 2).map((x) => (x > 0 ? 1 : 0)) : seededFloats(n, n + 2);
      const cpu = computeLoss(loss, z, y);
      const gpu = cuda.loss(loss === 'bce_with_logits' ? 0 : 1, z, y);
      assert.ok(Math.abs(gpu.loss - cpu.loss) <= 1e-6 * Math.abs(cpu.loss), `loss ${gpu.loss} vs ${cpu.loss}`);
      assertAllClose(gpu.grad, cpu.grad, 1e-6, 1e-9, 'grad');
    });
  }
}

function adamReference(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, lr: number, b1: number,
  b2: number, eps: number, wd: number, t: number): void {
  const f = Math.fround;
  const [fb1, fb2, feps, fwd] = [f(b1), f(b2), f(eps), f(wd)];
  const stepSize = f(f(lr) / (1 - Math.pow(fb1, t)));
  const invSqrt = f(1 / Math.sqrt(1 - Math.pow(fb2, t)));
  for (let i = 0; i < p.length; i++) {
    const gi = f(g[i] + f(fwd * p[i]));
    m[i] = f(f(fb1 * m[i]) + f(f(1 - fb1) * gi));
    v[i] = f(f(fb2 * v[i]) + f(f(f(1 - fb2) * gi) * gi));
    p[i] = f(p[i] - f(f(stepSize * m[i]) / f(f(f(Math.sqrt(v[i])) * invSqrt) + feps)));
  }
}

test('adam: three steps with weight decay match the float reference of core/optimizers.h', () => {
  const n = 1000;
  const p = seededFloats(n, 3), m = new Float32Array(n), v = new Float32Array(n);
  const rp = p.slice(), rm = m.slice(), rv = v.slice();
  for (let t = 1; t <= 3; t++) {
    const g = seededFloats(n, 10 + t);
    cuda.adam(p, g, m, v, 0.01, 0.9, 0.999, 1e-8, 0.01, t);
    adamReference(rp, g, rm, rv, 0.01, 0.9, 0.999, 1e-8, 0.01, t);
    assertAllClose(p, rp, 1e-6, 1e-7, `params after step ${t}`);
    assertAllClose(m, rm, 1e-6, 1e-7, `m after step ${t}`);
    assertAllClose(v, rv, 1e-6, 1e-9, `v after step ${t}`);
  }
});

test('adam: step 0 is refused', () => {
  const a = new Float32Array(2);
  try {
    cuda.adam(a, a.slice(), a.slice(), a.slice(), 0.01, 0.9, 0.999, 1e-8, 0, 0);
    assert.unreachable('should throw');
  } catch (e) {
    assert.is((e as { code?: string }).code, 'ERR_RECKIT_OUT_OF_RANGE');
  }
});

test.run();
