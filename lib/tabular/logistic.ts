/**
 * L2-regularized logistic regression for the quality report's detection and efficacy metrics, over a
 * sparse-by-construction design: standardized numeric features (missing → mean plus a missing flag)
 * and one-hot categoricals stored as level indices, so a row has ~(numeric + categorical) nonzeros
 * instead of ~100 mostly-zero floats. Fit by Newton's method (exact Hessian, Cholesky solve, step
 * halving), which converges in a handful of passes where gradient descent needs hundreds.
 */
import { invalidArg } from '../errors';
import type { Table } from './table';

/** Rows in the sparse layout: `dense` is rows × denseWidth, `cats` is rows × catCount global feature ids (−1 = none). */
export interface Design {
  rows: number;
  denseWidth: number;
  dense: Float64Array;
  catCount: number;
  cats: Int32Array;
  /** Total features (dense + every level); the intercept is extra. */
  features: number;
}

interface NumericFeature {
  column: number;
  mean: number;
  std: number;
  flag: boolean;
}

/** The feature map fitted on a table: which columns, their scaling and levels. */
export class FeatureEncoder {
  private constructor(
    private readonly names: string[],
    private readonly numeric: NumericFeature[],
    private readonly categorical: { column: number; levels: Map<string | null, number> }[],
    readonly denseWidth: number,
    readonly features: number,
  ) {}

  /** Fits on `table`'s columns except `exclude` (the target). */
  static fit(table: Table, exclude?: string): FeatureEncoder {
    const numeric: NumericFeature[] = [];
    const categorical: { column: number; levels: Map<string | null, number> }[] = [];
    let dense = 0;
    table.columns.forEach((c, ci) => {
      if (c.name === exclude) return;
      if (c.kind === 'continuous') {
        let n = 0;
        let s = 0;
        let missing = false;
        for (const v of c.values) {
          if (Number.isNaN(v)) missing = true;
          else {
            n++;
            s += v;
          }
        }
        const mean = n ? s / n : 0;
        let ss = 0;
        for (const v of c.values) if (!Number.isNaN(v)) ss += (v - mean) ** 2;
        const std = n ? Math.sqrt(ss / n) : 0;
        numeric.push({ column: ci, mean, std: std > 0 ? std : 1, flag: missing });
        dense += missing ? 2 : 1;
      } else categorical.push({ column: ci, levels: new Map() });
    });
    let next = dense;
    for (const cat of categorical) {
      const col = table.columns[cat.column];
      if (col.kind !== 'categorical') continue;
      for (const v of col.values) if (!cat.levels.has(v)) cat.levels.set(v, next++);
    }
    return new FeatureEncoder(table.columns.map((c) => c.name), numeric, categorical, dense, next);
  }

  /** Encodes `table` (same columns); levels unseen in fit encode as all-zero. */
  encode(table: Table): Design {
    const rows = table.rows;
    const dense = new Float64Array(rows * this.denseWidth);
    const cats = new Int32Array(rows * this.categorical.length).fill(-1);
    const col = (i: number) => {
      const c = table.columns.find((x) => x.name === this.names[i]);
      if (!c) throw invalidArg(`the table has no column '${this.names[i]}'`);
      return c;
    };
    let d = 0;
    for (const f of this.numeric) {
      const c = col(f.column);
      if (c.kind !== 'continuous') throw invalidArg(`column '${c.name}' must be continuous`);
      for (let r = 0; r < rows; r++) {
        const v = c.values[r];
        const missing = Number.isNaN(v);
        dense[r * this.denseWidth + d] = missing ? 0 : (v - f.mean) / f.std;
        if (f.flag) dense[r * this.denseWidth + d + 1] = missing ? 1 : 0;
      }
      d += f.flag ? 2 : 1;
    }
    const q = this.categorical.length;
    this.categorical.forEach((cat, j) => {
      const c = col(cat.column);
      if (c.kind !== 'categorical') throw invalidArg(`column '${c.name}' must be categorical`);
      for (let r = 0; r < rows; r++) cats[r * q + j] = cat.levels.get(c.values[r]) ?? -1;
    });
    return { rows, denseWidth: this.denseWidth, dense, catCount: q, cats, features: this.features };
  }
}

/** Rows [a..] of two designs stacked (same encoder). */
export function stackDesigns(a: Design, b: Design): Design {
  const dense = new Float64Array(a.dense.length + b.dense.length);
  dense.set(a.dense);
  dense.set(b.dense, a.dense.length);
  const cats = new Int32Array(a.cats.length + b.cats.length);
  cats.set(a.cats);
  cats.set(b.cats, a.cats.length);
  return { ...a, rows: a.rows + b.rows, dense, cats };
}

export interface LogisticOptions {
  /** L2 penalty on the weights (not the intercept) added to the summed log-loss: ½·l2·‖w‖² (sklearn's 1/C; default 1). */
  l2?: number;
  maxIterations?: number;
}

/** Weights: [features..., intercept]. */
export type LogisticModel = Float64Array;

function logit(design: Design, w: Float64Array, r: number): number {
  const p = design.denseWidth;
  const q = design.catCount;
  let z = w[design.features];
  for (let j = 0; j < p; j++) z += design.dense[r * p + j] * w[j];
  for (let j = 0; j < q; j++) {
    const f = design.cats[r * q + j];
    if (f >= 0) z += w[f];
  }
  return z;
}

/** log(1 + e^z) without overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

function objective(design: Design, y: Uint8Array, idx: Int32Array, w: Float64Array, l2: number): number {
  let loss = 0;
  for (const r of idx) {
    const z = logit(design, w, r);
    loss += softplus(z) - (y[r] ? z : 0);
  }
  let pen = 0;
  for (let j = 0; j < design.features; j++) pen += w[j] * w[j];
  return loss + 0.5 * l2 * pen;
}

/** Solves A x = b in place for a symmetric positive-definite A (n × n, row-major) by Cholesky. */
export function choleskySolve(A: Float64Array, b: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j];
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      if (i === j) L[i * n + i] = Math.sqrt(Math.max(s, 1e-12));
      else L[i * n + j] = s / L[j * n + j];
    }
  }
  const x = Float64Array.from(b);
  for (let i = 0; i < n; i++) {
    let s = x[i];
    for (let k = 0; k < i; k++) s -= L[i * n + k] * x[k];
    x[i] = s / L[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i];
    for (let k = i + 1; k < n; k++) s -= L[k * n + i] * x[k];
    x[i] = s / L[i * n + i];
  }
  return x;
}

/**
 * Fits on the rows `idx` of `design` with labels `y` (0/1 per design row). Both classes must occur;
 * a single-class training set has no decision boundary (callers handle that case).
 */
export function fitLogistic(design: Design, y: Uint8Array, idx: Int32Array, options: LogisticOptions = {}): LogisticModel {
  const l2 = options.l2 ?? 1;
  const maxIter = options.maxIterations ?? 30;
  const d = design.features + 1;
  const p = design.denseWidth;
  const q = design.catCount;
  // A tiny ridge on the intercept keeps the Hessian definite; it does not move a finite optimum.
  const ridge = (j: number) => (j < design.features ? l2 : 1e-8);
  const w = new Float64Array(d);
  let current = objective(design, y, idx, w, l2);
  const nz = new Int32Array(p + q + 1);
  const nv = new Float64Array(p + q + 1);
  for (let iter = 0; iter < maxIter; iter++) {
    const g = new Float64Array(d);
    const H = new Float64Array(d * d);
    for (const r of idx) {
      // The row's nonzeros: dense features, active levels, the intercept.
      let m = 0;
      for (let j = 0; j < p; j++) {
        const v = design.dense[r * p + j];
        if (v !== 0) {
          nz[m] = j;
          nv[m++] = v;
        }
      }
      for (let j = 0; j < q; j++) {
        const f = design.cats[r * q + j];
        if (f >= 0) {
          nz[m] = f;
          nv[m++] = 1;
        }
      }
      nz[m] = design.features;
      nv[m++] = 1;
      let z = 0;
      for (let a = 0; a < m; a++) z += w[nz[a]] * nv[a];
      const s = 1 / (1 + Math.exp(-z));
      const e = s - y[r];
      const h = s * (1 - s);
      for (let a = 0; a < m; a++) {
        g[nz[a]] += e * nv[a];
        const ha = h * nv[a];
        const row = nz[a] * d;
        for (let b = 0; b <= a; b++) H[row + nz[b]] += ha * nv[b];
      }
    }
    // Rows were accumulated into whichever triangle their feature order gave; symmetrize.
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < i; j++) {
        const s = H[i * d + j] + H[j * d + i];
        H[i * d + j] = s;
        H[j * d + i] = s;
      }
      g[i] += ridge(i) * w[i];
      H[i * d + i] += ridge(i);
    }
    const step = choleskySolve(H, g, d);
    let t = 1;
    let next = current;
    const trial = new Float64Array(d);
    for (let halving = 0; halving < 30; halving++) {
      for (let j = 0; j < d; j++) trial[j] = w[j] - t * step[j];
      next = objective(design, y, idx, trial, l2);
      if (next <= current) break;
      t /= 2;
    }
    if (next > current) break;
    w.set(trial);
    const improvement = current - next;
    current = next;
    let maxStep = 0;
    for (let j = 0; j < d; j++) maxStep = Math.max(maxStep, Math.abs(t * step[j]));
    if (maxStep < 1e-7 || improvement < 1e-10 * (1 + Math.abs(current))) break;
  }
  return w;
}

/** P(y = 1) for the rows `idx` (all rows when omitted). */
export function predictLogistic(design: Design, w: LogisticModel, idx?: Int32Array): Float64Array {
  const rows = idx ?? Int32Array.from({ length: design.rows }, (_, i) => i);
  const out = new Float64Array(rows.length);
  rows.forEach((r, i) => {
    out[i] = 1 / (1 + Math.exp(-logit(design, w, r)));
  });
  return out;
}

/** The objective's gradient at `w` (for tests: zero at the fitted optimum). */
export function logisticGradient(design: Design, y: Uint8Array, idx: Int32Array, w: LogisticModel, l2 = 1): Float64Array {
  const g = new Float64Array(design.features + 1);
  const p = design.denseWidth;
  const q = design.catCount;
  for (const r of idx) {
    const e = 1 / (1 + Math.exp(-logit(design, w, r))) - y[r];
    for (let j = 0; j < p; j++) g[j] += e * design.dense[r * p + j];
    for (let j = 0; j < q; j++) if (design.cats[r * q + j] >= 0) g[design.cats[r * q + j]] += e;
    g[design.features] += e;
  }
  for (let j = 0; j < design.features; j++) g[j] += l2 * w[j];
  g[design.features] += 1e-8 * w[design.features];
  return g;
}

/** Exported for tests: the penalized log-loss the fit minimizes. */
export { objective as logisticObjective };
