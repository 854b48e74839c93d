/**
 * Reversible per-column transforms for tabular generative models, written from the published
 * descriptions (CTGAN, Xu et al. 2019, §4.2): min-max and standard scaling, categorical one-hot, and
 * mode-specific normalization (value → (scaled offset within a mode, mode one-hot) under a per-column
 * Gaussian mixture). Each transform is a plain fitted state (JSON-serializable) plus pure functions.
 */
import { invalidArg } from '../errors';
import { fitGmm, type GmmModel, type GmmOptions, modePosterior } from './gmm';

/** How a continuous column is scaled. */
export type ContinuousMethod = 'mode' | 'minmax' | 'standard';

/** Offsets within a mode are (x − μ_k) / (MODE_SPREAD·σ_k), as CTGAN (4σ covers a mode). */
export const MODE_SPREAD = 4;
/** Offsets are clipped to ±MODE_CLIP so a tanh output can reach them (CTGAN's 0.99). */
export const MODE_CLIP = 0.99;

export interface MinMaxState {
  method: 'minmax';
  min: number;
  max: number;
}
export interface StandardState {
  method: 'standard';
  mean: number;
  std: number;
}
export interface ModeState {
  method: 'mode';
  gmm: GmmModel;
}
export type ScalerState = MinMaxState | StandardState | ModeState;

function finiteStats(values: ArrayLike<number>): { min: number; max: number; mean: number; std: number; count: number } {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    count++;
  }
  const mean = count ? sum / count : 0;
  let ss = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) ss += (values[i] - mean) ** 2;
  return { min, max, mean, std: count ? Math.sqrt(ss / count) : 0, count };
}

export { finiteStats };

/** Fits a continuous scaler to the finite values (NaN ignored). */
export function fitScaler(method: ContinuousMethod, values: ArrayLike<number>, gmm: GmmOptions = {}): ScalerState {
  const s = finiteStats(values);
  if (s.count === 0) throw invalidArg('a continuous column needs at least one present value');
  if (method === 'minmax') return { method, min: s.min, max: s.max };
  if (method === 'standard') return { method, mean: s.mean, std: s.std };
  if (method === 'mode') return { method, gmm: fitGmm(values, gmm) };
  throw invalidArg(`unknown continuous method '${method as string}'`);
}

/** Min-max to [−1, 1] (a constant column maps to 0). */
export function minMaxForward(s: MinMaxState, x: number): number {
  const range = s.max - s.min;
  return range > 0 ? (2 * (x - s.min)) / range - 1 : 0;
}
export function minMaxInverse(s: MinMaxState, y: number): number {
  const c = Math.min(1, Math.max(-1, y));
  return s.min + ((c + 1) / 2) * (s.max - s.min);
}

/** (x − mean) / std (a constant column maps to 0). */
export function standardForward(s: StandardState, x: number): number {
  return s.std > 0 ? (x - s.mean) / s.std : 0;
}
export function standardInverse(s: StandardState, y: number): number {
  return s.mean + y * s.std;
}

/**
 * The mode for x: the one `pick` chooses from the posterior (argmax, or a draw u ∈ [0,1) when given),
 * replaced by the mode with the smallest |offset| when the chosen one would clip (so values round-trip
 * unless they lie beyond every mode's reach).
 */
export function chooseMode(s: ModeState, x: number, u?: number, scratch?: Float64Array): number {
  const { means, stds } = s.gmm;
  const post = modePosterior(s.gmm, x, scratch);
  let k = 0;
  if (u === undefined) {
    for (let j = 1; j < post.length; j++) if (post[j] > post[k]) k = j;
  } else {
    let acc = 0;
    k = post.length - 1;
    for (let j = 0; j < post.length; j++) {
      acc += post[j];
      if (u < acc) {
        k = j;
        break;
      }
    }
  }
  if (Math.abs((x - means[k]) / (MODE_SPREAD * stds[k])) > MODE_CLIP) {
    let best = k;
    let bestOffset = Infinity;
    for (let j = 0; j < means.length; j++) {
      const off = Math.abs((x - means[j]) / (MODE_SPREAD * stds[j]));
      if (off < bestOffset) {
        bestOffset = off;
        best = j;
      }
    }
    k = best;
  }
  return k;
}

/** The scaled offset of x within mode k, clipped to ±MODE_CLIP. */
export function modeOffset(s: ModeState, x: number, k: number): number {
  const a = (x - s.gmm.means[k]) / (MODE_SPREAD * s.gmm.stds[k]);
  return Math.min(MODE_CLIP, Math.max(-MODE_CLIP, a));
}

/** x from an offset in mode k. */
export function modeInverse(s: ModeState, offset: number, k: number): number {
  const a = Math.min(1, Math.max(-1, offset));
  return s.gmm.means[k] + a * MODE_SPREAD * s.gmm.stds[k];
}

/** The index of the largest of `width` values at data[start..]: how a one-hot (or softmax) span decodes. */
export function argmaxSpan(data: ArrayLike<number>, start: number, width: number): number {
  let best = 0;
  for (let j = 1; j < width; j++) if (data[start + j] > data[start + best]) best = j;
  return best;
}
