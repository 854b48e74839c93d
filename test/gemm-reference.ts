/**
 * Test helpers for ops.gemm: a seeded generator, a float64 reference GEMM with the same contract, and an
 * error bound for float32 accumulation (not a test file itself).
 */
export type Act = 'linear' | 'relu' | 'leaky_relu' | 'tanh' | 'sigmoid';

/** Deterministic uniform values in [-1, 1) (mulberry32). */
export function seeded(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

export function act64(act: Act, x: number, slope: number): number {
  switch (act) {
    case 'linear': return x;
    case 'relu': return x > 0 ? x : 0;
    case 'leaky_relu': return x > 0 ? x : slope * x;
    case 'tanh': return Math.tanh(x);
    case 'sigmoid': return 1 / (1 + Math.exp(-x));
  }
}

export interface RefCase {
  m: number; n: number; k: number;
  transA?: boolean; transB?: boolean;
  alpha?: number; beta?: number;
  lda?: number; ldb?: number; ldc?: number;
  c?: Float32Array; bias?: Float32Array; activation?: Act; slope?: number;
  gate?: Float32Array; ldGate?: number; gateActivation?: Act; gateSlope?: number;
}

/** act'(y) from the activation's output y (y > 0 decides relu and leaky_relu). */
export function derivativeFromOutput64(act: Act, y: number, slope: number): number {
  switch (act) {
    case 'linear': return 1;
    case 'relu': return y > 0 ? 1 : 0;
    case 'leaky_relu': return y > 0 ? 1 : slope;
    case 'tanh': return 1 - y * y;
    case 'sigmoid': return y * (1 - y);
  }
}

/**
 * The float64 result for every C element (row-major with stride ldc) and the bound on |float32 - float64|
 * for it: u·(k+2)·(|alpha|·Σ|a||b| + |beta·c| + |bias|) for the sums (activations are 1-Lipschitz) plus a
 * few ulp for the activation itself.
 */
export function reference(a: Float32Array, b: Float32Array, o: RefCase): { value: Float64Array; tol: Float64Array } {
  const { m, n, k } = o;
  const ta = !!o.transA, tb = !!o.transB;
  const lda = o.lda ?? (ta ? m : k), ldb = o.ldb ?? (tb ? k : n), ldc = o.ldc ?? n;
  const alpha = o.alpha ?? 1, beta = o.beta ?? 0, slope = o.slope ?? 0.01, act = o.activation ?? 'linear';
  const size = m === 0 ? 0 : (m - 1) * ldc + n;
  const value = new Float64Array(size), tol = new Float64Array(size);
  const u = 2 ** -23;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0, abs = 0;
      for (let p = 0; p < k; p++) {
        const av = ta ? a[p * lda + i] : a[i * lda + p];
        const bv = tb ? b[j * ldb + p] : b[p * ldb + j];
        sum += av * bv;
        abs += Math.abs(av * bv);
      }
      const old = o.c && beta !== 0 ? o.c[i * ldc + j] : 0;
      const bias = o.bias ? o.bias[j] : 0;
      const z = alpha * sum + beta * old + bias;
      const y = act64(act, z, slope);
      // The gate multiplies by a factor of magnitude <= max(1, |gateSlope|, 1 + |g|²) (from float32 g, so the
      // factor itself carries a few ulp), scaling the sum's error bound with it.
      const g = o.gate ? o.gate[i * (o.ldGate ?? n) + j] : 0;
      const factor = o.gate ? derivativeFromOutput64(o.gateActivation ?? 'linear', g, o.gateSlope ?? 0.01) : 1;
      const bound = Math.max(1, Math.abs(factor));
      value[i * ldc + j] = y * factor;
      tol[i * ldc + j] =
        (u * (k + 2) * (Math.abs(alpha) * abs + Math.abs(beta * old) + Math.abs(bias)) * Math.max(1, Math.abs(slope)) +
          4 * u * Math.abs(y)) * bound + 4 * u * Math.abs(y) * (1 + g * g) + 1e-7;
    }
  }
  return { value, tol };
}

/** First element (row, col) where got differs from the reference by more than its bound, or null. */
export function firstMismatch(got: Float32Array, ref: { value: Float64Array; tol: Float64Array }, m: number, n: number,
                              ldc: number): string | null {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const idx = i * ldc + j;
      const diff = Math.abs(got[idx] - ref.value[idx]);
      if (!(diff <= ref.tol[idx])) return `C[${i}][${j}] = ${got[idx]}, expected ${ref.value[idx]} (±${ref.tol[idx]})`;
    }
  }
  return null;
}
