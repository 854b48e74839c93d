/**
 * A float64 reference Mlp for tests: forward, backward and loss written plainly in JS, independent of
 * the native code. Parameters use reckit's layout (per layer W [in × out] row-major, then b [out]).
 */
export type Act = 'relu' | 'leaky_relu' | 'tanh' | 'sigmoid' | 'linear';
export interface RefLayer {
  units: number;
  activation?: Act;
  alpha?: number;
}

export function act(name: Act | undefined, z: number, alpha: number): number {
  switch (name) {
    case 'relu': return z > 0 ? z : 0;
    case 'leaky_relu': return z > 0 ? z : alpha * z;
    case 'tanh': return Math.tanh(z);
    case 'sigmoid': return 1 / (1 + Math.exp(-z));
    default: return z;
  }
}

function dact(name: Act | undefined, z: number, alpha: number): number {
  switch (name) {
    case 'relu': return z > 0 ? 1 : 0;
    case 'leaky_relu': return z > 0 ? 1 : alpha;
    case 'tanh': return 1 - Math.tanh(z) ** 2;
    case 'sigmoid': { const s = 1 / (1 + Math.exp(-z)); return s * (1 - s); }
    default: return 1;
  }
}

export function parameterCount(input: number, layers: RefLayer[]): number {
  let n = 0, inDim = input;
  for (const l of layers) { n += inDim * l.units + l.units; inDim = l.units; }
  return n;
}

interface Trace { inputs: Float64Array[]; pre: Float64Array[]; out: Float64Array }

export function forwardTrace(p: ArrayLike<number>, input: number, layers: RefLayer[], x: ArrayLike<number>, rows: number): Trace {
  let cur = Float64Array.from(x as ArrayLike<number>);
  let inDim = input, off = 0;
  const inputs: Float64Array[] = [], pre: Float64Array[] = [];
  for (const l of layers) {
    const out = l.units, alpha = l.alpha ?? 0.01;
    const z = new Float64Array(rows * out), y = new Float64Array(rows * out);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < out; j++) {
        let s = p[off + inDim * out + j];
        for (let k = 0; k < inDim; k++) s += cur[r * inDim + k] * p[off + k * out + j];
        z[r * out + j] = s;
        y[r * out + j] = act(l.activation, s, alpha);
      }
    }
    inputs.push(cur); pre.push(z);
    off += inDim * out + out; inDim = out; cur = y;
  }
  return { inputs, pre, out: cur };
}

export function forward(p: ArrayLike<number>, input: number, layers: RefLayer[], x: ArrayLike<number>, rows: number): Float64Array {
  return forwardTrace(p, input, layers, x, rows).out;
}

/** dL/dθ and dL/dx for L = Σ gradOut ⊙ output. */
export function backward(p: ArrayLike<number>, input: number, layers: RefLayer[], x: ArrayLike<number>, rows: number,
  gradOut: ArrayLike<number>): { params: Float64Array; input: Float64Array } {
  const t = forwardTrace(p, input, layers, x, rows);
  const grads = new Float64Array(parameterCount(input, layers));
  const offsets: number[] = [];
  let off = 0, inDim = input;
  for (const l of layers) { offsets.push(off); off += inDim * l.units + l.units; inDim = l.units; }
  let up = Float64Array.from(gradOut as ArrayLike<number>);
  for (let li = layers.length - 1; li >= 0; li--) {
    const l = layers[li], out = l.units, alpha = l.alpha ?? 0.01;
    const inD = li === 0 ? input : layers[li - 1].units;
    const o = offsets[li], a = t.inputs[li], z = t.pre[li];
    const delta = new Float64Array(rows * out);
    for (let i = 0; i < delta.length; i++) delta[i] = up[i] * dact(l.activation, z[i], alpha);
    const down = new Float64Array(rows * inD);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < out; j++) {
        const d = delta[r * out + j];
        grads[o + inD * out + j] += d;
        for (let k = 0; k < inD; k++) {
          grads[o + k * out + j] += a[r * inD + k] * d;
          down[r * inD + k] += d * p[o + k * out + j];
        }
      }
    }
    up = down;
  }
  return { params: grads, input: up };
}

export function bceWithLogits(z: number, y: number): number {
  return Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
}

/** Mean loss over all elements. */
export function meanLoss(kind: 'bce_with_logits' | 'mse', z: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < z.length; i++) s += kind === 'mse' ? (z[i] - y[i]) ** 2 : bceWithLogits(z[i], y[i]);
  return s / z.length;
}

/** Adam (PyTorch form, L2 weight decay) on float64 copies; returns the new parameters and state. */
export function adamReference(p: Float64Array, g: ArrayLike<number>, m: Float64Array, v: Float64Array, t: number,
  o: { lr: number; b1: number; b2: number; eps: number; wd: number }): void {
  for (let i = 0; i < p.length; i++) {
    const gi = g[i] + o.wd * p[i];
    m[i] = o.b1 * m[i] + (1 - o.b1) * gi;
    v[i] = o.b2 * v[i] + (1 - o.b2) * gi * gi;
    const mh = m[i] / (1 - o.b1 ** t), vh = v[i] / (1 - o.b2 ** t);
    p[i] -= (o.lr * mh) / (Math.sqrt(vh) + o.eps);
  }
}

/** max |a - b| / (atol + rtol·|b|) ≤ 1 means "close". Returns the worst ratio and where. */
export function worst(a: ArrayLike<number>, b: ArrayLike<number>, atol: number, rtol: number): { ratio: number; index: number } {
  let ratio = 0, index = -1;
  for (let i = 0; i < a.length; i++) {
    const r = Math.abs(a[i] - b[i]) / (atol + rtol * Math.abs(b[i]));
    if (!(r <= ratio)) { ratio = r; index = i; }
  }
  return { ratio, index };
}

/** Deterministic uniform values in [lo, hi) (a small LCG, for test inputs only). */
export function lcg(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((hi - lo) * s) / 2 ** 32;
  }
  return out;
}
