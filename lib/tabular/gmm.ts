/**
 * A one-dimensional Gaussian mixture fit by EM, the number of modes chosen by BIC, as the
 * mode-specific normalization of CTGAN (Xu et al. 2019) needs. (A variational fit with a sparse
 * weight prior was tried first: from a k-means start it kept splitting one Gaussian into many modes,
 * so the count is chosen explicitly.) Initialized by a seeded k-means++ (Philox): a seed reproduces a fit.
 */
import { invalidArg } from '../errors';
import { uniform } from '../random';

export interface GmmOptions {
  /** Components to start from (default 10, as CTGAN). */
  maxModes?: number;
  /** Modes with a smaller weight are dropped from the result (default 0.005, as CTGAN). */
  weightThreshold?: number;
  /** Values the number of modes is chosen on (a stratified subsample; default 3000). */
  selectionSample?: number;
  maxIterations?: number;
  /** Stop when the mean log-likelihood per sample moves less than this (default 1e-5). */
  tolerance?: number;
  seed?: number;
}

/** The fitted modes, sorted by mean; weights sum to 1. */
export interface GmmModel {
  means: number[];
  stds: number[];
  weights: number[];
}

const LOG_2PI = Math.log(2 * Math.PI);
/** Smallest std relative to the data's spread, so a spike (e.g. many zeros) keeps a usable scale. */
const MIN_STD_RATIO = 1e-3;
/** EM passes over all values after the subsample fit (it starts close to the optimum). */
const REFIT_ITERATIONS = 25;
const MIN_POINTS_PER_MODE = 10;

/** Seeded k-means++ seeding then a few Lloyd steps on standardized data; returns centres. */
function kmeansInit(z: Float64Array, k: number, seed: number): number[] {
  const n = z.length;
  const u = uniform(k + 1, { seed, stream: 0x6d6d });
  const centres = [z[Math.min(n - 1, Math.floor(u[0] * n))]];
  const d2 = new Float64Array(n).fill(Infinity);
  for (let c = 1; c < k; c++) {
    let total = 0;
    const last = centres[c - 1];
    for (let i = 0; i < n; i++) {
      const d = (z[i] - last) ** 2;
      if (d < d2[i]) d2[i] = d;
      total += d2[i];
    }
    if (total === 0) break;
    let target = u[c] * total;
    let pick = n - 1;
    for (let i = 0; i < n; i++) {
      target -= d2[i];
      if (target <= 0) {
        pick = i;
        break;
      }
    }
    centres.push(z[pick]);
  }
  for (let it = 0; it < 10; it++) {
    const sum = new Float64Array(centres.length);
    const cnt = new Float64Array(centres.length);
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let c = 1; c < centres.length; c++) if (Math.abs(z[i] - centres[c]) < Math.abs(z[i] - centres[best])) best = c;
      sum[best] += z[i];
      cnt[best]++;
    }
    for (let c = 0; c < centres.length; c++) if (cnt[c] > 0) centres[c] = sum[c] / cnt[c];
  }
  return centres;
}

interface Fit {
  w: Float64Array;
  mu: Float64Array;
  v: Float64Array;
  logLik: number;
}

/**
 * EM for K components on standardized values, from a seeded k-means++ start. Variances are floored
 * at MIN_STD_RATIO² so a spike of identical values (e.g. many zeros) stays a usable, finite mode.
 */
function em(z: Float64Array, K: number, seed: number, maxIter: number, tol: number, start?: Fit): Fit {
  const n = z.length;
  const centres = start ? Array.from(start.mu) : kmeansInit(z, K, seed);
  const k = centres.length;
  const w = start ? Float64Array.from(start.w) : new Float64Array(k).fill(1 / k);
  const mu = Float64Array.from(centres);
  const v = start ? Float64Array.from(start.v) : new Float64Array(k).fill(1 / (k * k));
  const r = new Float64Array(n * k);
  const floor = MIN_STD_RATIO * MIN_STD_RATIO;
  let previous = -Infinity;
  let logLik = -Infinity;
  for (let iter = 0; iter < maxIter; iter++) {
    // E step (log-sum-exp per row); the log-likelihood comes for free.
    const c = new Float64Array(k);
    for (let j = 0; j < k; j++) c[j] = Math.log(w[j]) - 0.5 * Math.log(v[j]) - 0.5 * LOG_2PI;
    logLik = 0;
    for (let i = 0; i < n; i++) {
      const row = i * k;
      let max = -Infinity;
      for (let j = 0; j < k; j++) {
        const t = c[j] - (0.5 * (z[i] - mu[j]) ** 2) / v[j];
        r[row + j] = t;
        if (t > max) max = t;
      }
      let sum = 0;
      for (let j = 0; j < k; j++) {
        const e = Math.exp(r[row + j] - max);
        r[row + j] = e;
        sum += e;
      }
      for (let j = 0; j < k; j++) r[row + j] /= sum;
      logLik += max + Math.log(sum);
    }
    if (Math.abs(logLik - previous) < tol * n) break;
    previous = logLik;
    // M step.
    for (let j = 0; j < k; j++) {
      let nk = 0;
      let sx = 0;
      for (let i = 0; i < n; i++) {
        nk += r[i * k + j];
        sx += r[i * k + j] * z[i];
      }
      if (nk < 1e-9) {
        w[j] = 1e-12; // a dead component: keep it harmless, it is dropped by the weight threshold
        continue;
      }
      const m = sx / nk;
      let s = 0;
      for (let i = 0; i < n; i++) s += r[i * k + j] * (z[i] - m) ** 2;
      w[j] = nk / n;
      mu[j] = m;
      v[j] = Math.max(s / nk, floor);
    }
  }
  return { w, mu, v, logLik };
}

/** A seeded subsample (Philox) of at most `size` values, or all of them. */
function subsample(z: Float64Array, size: number, seed: number): Float64Array {
  if (z.length <= size) return z;
  const u = uniform(size, { seed, stream: 0x5353 });
  const out = new Float64Array(size);
  const step = z.length / size;
  // One value from each of `size` equal strata: a stratified draw that keeps the shape of the data.
  for (let i = 0; i < size; i++) out[i] = z[Math.min(z.length - 1, Math.floor((i + u[i]) * step))];
  return out;
}

/**
 * Fits the mixture to the finite values of `data` (NaN are ignored): EM for K = 1, 2, ... modes on a
 * stratified subsample, K chosen by BIC (stopping after two Ks without improvement), then the chosen K
 * refit on all values. Modes below `weightThreshold` are dropped and the rest renormalized.
 */
export function fitGmm(data: ArrayLike<number>, options: GmmOptions = {}): GmmModel {
  const maxModes = options.maxModes ?? 10;
  const threshold = options.weightThreshold ?? 0.005;
  const maxIter = options.maxIterations ?? 60;
  const tol = options.tolerance ?? 1e-5;
  const seed = options.seed ?? 0;
  const sample = options.selectionSample ?? 3000;
  if (!Number.isInteger(maxModes) || maxModes < 1 || maxModes > 100) throw invalidArg('maxModes must be an integer in [1, 100]');
  const xs: number[] = [];
  for (let i = 0; i < data.length; i++) if (Number.isFinite(data[i])) xs.push(data[i]);
  const n = xs.length;
  if (n === 0) throw invalidArg('a Gaussian mixture needs at least one finite value');
  let mean = 0;
  for (const x of xs) mean += x;
  mean /= n;
  let variance = 0;
  for (const x of xs) variance += (x - mean) ** 2;
  variance /= n;
  const scale = Math.sqrt(variance);
  if (!(scale > 0)) return { means: [mean], stds: [Math.max(Math.abs(mean) * 1e-6, 1e-6)], weights: [1] };

  const z = Float64Array.from(xs, (x) => (x - mean) / scale);
  const sub = subsample(z, sample, seed);
  let bestK = 1;
  let bestBic = Infinity;
  let best: Fit | undefined;
  // At least MIN_POINTS_PER_MODE values per mode: on a handful of values BIC would otherwise put a
  // variance-floored spike on every distinct value.
  const limit = Math.max(1, Math.min(maxModes, Math.floor(sub.length / MIN_POINTS_PER_MODE)));
  for (let K = 1; K <= limit; K++) {
    const fit = em(sub, K, seed + K, maxIter, tol);
    const bic = -2 * fit.logLik + (3 * K - 1) * Math.log(sub.length);
    if (bic < bestBic) {
      bestBic = bic;
      bestK = K;
      best = fit;
    } else if (K - bestK >= 2) break;
  }
  // The refit on every value starts from the subsample's solution, so it needs few passes.
  const fit = sub === z ? best! : em(z, bestK, seed + bestK, Math.min(maxIter, REFIT_ITERATIONS), tol, best);
  const modes: { mean: number; std: number; weight: number }[] = [];
  for (let k = 0; k < fit.w.length; k++) {
    if (fit.w[k] < threshold) continue;
    modes.push({ mean: mean + fit.mu[k] * scale, std: Math.sqrt(fit.v[k]) * scale, weight: fit.w[k] });
  }
  if (modes.length === 0) modes.push({ mean, std: scale, weight: 1 });
  modes.sort((p, q) => p.mean - q.mean);
  const total = modes.reduce((s, md) => s + md.weight, 0);
  return { means: modes.map((md) => md.mean), stds: modes.map((md) => md.std), weights: modes.map((md) => md.weight / total) };
}

/** Posterior probability of each mode for value x (the fitted weights times the normal densities). */
export function modePosterior(model: GmmModel, x: number, out: Float64Array = new Float64Array(model.means.length)): Float64Array {
  const K = model.means.length;
  let max = -Infinity;
  for (let k = 0; k < K; k++) {
    const zk = (x - model.means[k]) / model.stds[k];
    const v = Math.log(model.weights[k]) - Math.log(model.stds[k]) - 0.5 * zk * zk;
    out[k] = v;
    if (v > max) max = v;
  }
  let sum = 0;
  for (let k = 0; k < K; k++) {
    out[k] = Math.exp(out[k] - max);
    sum += out[k];
  }
  for (let k = 0; k < K; k++) out[k] /= sum;
  return out;
}
