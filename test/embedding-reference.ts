/**
 * Independent float64 JS references for the EmbeddingTable tests: pooled bags, their backward and the
 * sparse optimizer updates, written from the documented formulas (not from the native code).
 */

/** A small seeded PRNG (mulberry32) so the tests' data is fixed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomFloats(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (r() * 2 - 1) * scale;
  return out;
}

export function randomIds(n: number, rows: number, seed: number): Uint32Array {
  const r = rng(seed);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(r() * rows);
  return out;
}

export type Mode = 'sum' | 'mean' | 'max';

function bagRange(offsets: ArrayLike<number>, n: number, b: number): [number, number] {
  return [offsets[b], b + 1 < offsets.length ? offsets[b + 1] : n];
}

/** Pooled bags in float64. */
export function refBag(table: Float32Array, dim: number, ids: ArrayLike<number>, offsets: ArrayLike<number>, mode: Mode, weights?: ArrayLike<number>): Float64Array {
  const out = new Float64Array(offsets.length * dim);
  for (let b = 0; b < offsets.length; b++) {
    const [first, last] = bagRange(offsets, ids.length, b);
    for (let d = 0; d < dim; d++) {
      let acc = mode === 'max' ? -Infinity : 0;
      for (let i = first; i < last; i++) {
        const v = (weights ? weights[i] : 1) * table[ids[i] * dim + d];
        acc = mode === 'max' ? Math.max(acc, v) : acc + v;
      }
      if (last === first) acc = 0;
      else if (mode === 'mean') acc /= last - first;
      out[b * dim + d] = acc;
    }
  }
  return out;
}

/** Dense float64 gradient of Σ gradOut ⊙ bag(table) with respect to the table (and the weights). */
export function refBagBackward(table: Float32Array, dim: number, ids: ArrayLike<number>, offsets: ArrayLike<number>, gradOut: ArrayLike<number>, mode: Mode, weights?: ArrayLike<number>): { dense: Map<number, Float64Array>; weightGrads: Float64Array } {
  const dense = new Map<number, Float64Array>();
  const weightGrads = new Float64Array(ids.length);
  const rowOf = (r: number) => {
    let g = dense.get(r);
    if (!g) dense.set(r, (g = new Float64Array(dim)));
    return g;
  };
  for (let b = 0; b < offsets.length; b++) {
    const [first, last] = bagRange(offsets, ids.length, b);
    for (let i = first; i < last; i++) rowOf(ids[i]);
    for (let d = 0; d < dim; d++) {
      const go = gradOut[b * dim + d];
      if (mode === 'max') {
        let best = -Infinity;
        let arg = -1;
        for (let i = first; i < last; i++) {
          const v = (weights ? weights[i] : 1) * table[ids[i] * dim + d];
          if (v > best) [best, arg] = [v, i];
        }
        if (arg >= 0) {
          rowOf(ids[arg])[d] += (weights ? weights[arg] : 1) * go;
          weightGrads[arg] += go * table[ids[arg] * dim + d];
        }
      } else {
        const scale = mode === 'mean' ? 1 / (last - first) : 1;
        for (let i = first; i < last; i++) {
          rowOf(ids[i])[d] += scale * (weights ? weights[i] : 1) * go;
          weightGrads[i] += scale * go * table[ids[i] * dim + d];
        }
      }
    }
  }
  return { dense, weightGrads };
}

export interface OptimizerRef {
  optimizer: 'sgd' | 'adagrad' | 'adam';
  lr: number;
  weightDecay?: number;
  eps?: number;
  beta1?: number;
  beta2?: number;
}

/** A float64 sparse optimizer over a float64 copy of the table (lazy Adam: per-row step counts). */
export class RefOptimizer {
  table: Float64Array;
  a: Float64Array;
  v: Float64Array;
  steps: Float64Array;
  constructor(initial: Float32Array, readonly rows: number, readonly dim: number) {
    this.table = Float64Array.from(initial);
    this.a = new Float64Array(rows * dim);
    this.v = new Float64Array(rows * dim);
    this.steps = new Float64Array(rows);
  }

  apply(grads: Map<number, Float64Array>, o: OptimizerRef): void {
    const wd = o.weightDecay ?? 0;
    const eps = o.eps ?? (o.optimizer === 'adagrad' ? 1e-10 : 1e-8);
    const b1 = o.beta1 ?? 0.9;
    const b2 = o.beta2 ?? 0.999;
    for (const [row, g0] of grads) {
      const t = ++this.steps[row];
      for (let d = 0; d < this.dim; d++) {
        const k = row * this.dim + d;
        const g = g0[d] + wd * this.table[k];
        if (o.optimizer === 'sgd') {
          this.table[k] -= o.lr * g;
        } else if (o.optimizer === 'adagrad') {
          this.a[k] += g * g;
          this.table[k] -= (o.lr * g) / (Math.sqrt(this.a[k]) + eps);
        } else {
          this.a[k] = b1 * this.a[k] + (1 - b1) * g;
          this.v[k] = b2 * this.v[k] + (1 - b2) * g * g;
          const mHat = this.a[k] / (1 - b1 ** t);
          const vHat = this.v[k] / (1 - b2 ** t);
          this.table[k] -= (o.lr * mHat) / (Math.sqrt(vHat) + eps);
        }
      }
    }
  }
}

/** Largest |a - b| / (atol + rtol·|b|) over two arrays (≤ 1 means within tolerance). */
export function maxError(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = Math.abs(actual[i] - expected[i]) / (atol + rtol * Math.abs(expected[i]));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}
