/**
 * Pieces shared by the trainable classes (Mlp, Gan, CFGAN, Bpr, TabularSynthesizer): layer and optimizer
 * descriptions, and running a native training job with a progress callback, an AbortSignal and dispose().
 */
import { invalidArg, outOfRange, reckitError } from './errors';
import { native } from './native';
import { requireInteger, requireNumber, requireObject, requireOneOf } from './validate';

/** The activations a dense layer can apply after its bias. */
export type ActivationName = 'relu' | 'leaky_relu' | 'tanh' | 'sigmoid' | 'linear';

/** One dense layer: `units` outputs, then the activation (`alpha` is leaky_relu's slope, default 0.01). */
export interface LayerSpec {
  units: number;
  activation?: ActivationName;
  alpha?: number;
}

/** Adam (PyTorch's form; `weightDecay` adds λ·w to the gradient) or SGD with optional momentum. */
export type OptimizerOptions =
  | { type: 'adam'; lr?: number; betas?: [number, number]; eps?: number; weightDecay?: number }
  | { type: 'sgd'; lr?: number; momentum?: number; weightDecay?: number };

export const ACTIVATIONS = ['relu', 'leaky_relu', 'tanh', 'sigmoid', 'linear'] as const;

export function requireLayers(value: unknown, name: string): LayerSpec[] {
  if (!Array.isArray(value) || value.length === 0) throw invalidArg(`${name} must be a non-empty array of { units, activation }`);
  return value.map((item, i) => {
    const o = requireObject(item, `${name}[${i}]`);
    if (item === undefined) throw invalidArg(`${name}[${i}] must be an object`);
    const spec: LayerSpec = { units: requireInteger(o.units, `${name}[${i}].units`, 1, 2 ** 20) };
    if (o.activation !== undefined) spec.activation = requireOneOf(o.activation, `${name}[${i}].activation`, ACTIVATIONS);
    if (o.alpha !== undefined) {
      const alpha = requireNumber(o.alpha, `${name}[${i}].alpha`);
      if (alpha < 0 || alpha > 1) throw outOfRange(`${name}[${i}].alpha must be in [0, 1] (got ${alpha})`);
      spec.alpha = alpha;
    }
    return spec;
  });
}

export function requireOptimizer(value: unknown, name: string): OptimizerOptions {
  const o = requireObject(value, name);
  const type = o.type === undefined ? 'adam' : requireOneOf(o.type, `${name}.type`, ['adam', 'sgd'] as const);
  if (o.lr !== undefined && requireNumber(o.lr, `${name}.lr`) <= 0) throw outOfRange(`${name}.lr must be > 0`);
  return { ...(o as object), type } as OptimizerOptions;
}

/** The error a training promise rejects with when its AbortSignal fires (Node's AbortError shape). */
export function abortError(signal: AbortSignal | undefined): Error {
  const error = new Error('the operation was aborted', { cause: signal?.reason }) as Error & { code: string };
  error.name = 'AbortError';
  error.code = 'ABORT_ERR';
  return error;
}

export function requireSignal(value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || typeof (value as AbortSignal).aborted !== 'boolean') {
    throw invalidArg('signal must be an AbortSignal');
  }
  return value as AbortSignal;
}

export function requireCallback<T extends (...args: never[]) => unknown>(value: unknown, name: string): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw invalidArg(`${name} must be a function`);
  return value as T;
}

/**
 * The fits in flight on one trainable object, so that its dispose() can stop them. The rule, the same for
 * every trainable class: dispose() during a fit stops the native work at its next step (as an AbortSignal
 * would) and the fit rejects with ERR_RECKIT_DISPOSED, since the model it was training is gone; the native
 * work holds its own reference to the memory it uses, which is freed when that work ends.
 */
export class FitTracker {
  private readonly tokens = new Set<unknown>();
  private isDisposed = false;

  constructor(private readonly what: string) {}

  get disposed(): boolean {
    return this.isDisposed;
  }

  /** Marks the owner disposed and cancels every fit in flight. */
  dispose(): void {
    this.isDisposed = true;
    for (const token of this.tokens) native().cancel(token);
  }

  /** The error of a fit whose owner was disposed while it ran. */
  disposedError(): Error {
    return reckitError('ERR_RECKIT_DISPOSED', `${this.what} was disposed during fit`);
  }

  /** @internal */
  add(token: unknown): void {
    this.tokens.add(token);
  }

  /** @internal */
  delete(token: unknown): void {
    this.tokens.delete(token);
  }
}

const trackers = new WeakMap<object, FitTracker>();

/** The FitTracker of `owner` (created on first use; works for objects made with Object.create too). */
export function fitsOf(owner: object, what: string): FitTracker {
  let tracker = trackers.get(owner);
  if (!tracker) trackers.set(owner, (tracker = new FitTracker(what)));
  return tracker;
}

/**
 * Starts a native job that takes a cancel token, wiring `signal` (and, given a tracker, the owner's
 * dispose()) to it. Resolves with the job's result; rejects with ERR_RECKIT_DISPOSED when the owner was
 * disposed meanwhile, else with an AbortError when the signal fired (the model keeps its last whole step).
 */
export async function runCancellable<R extends { aborted: boolean }>(
  signal: AbortSignal | undefined,
  start: (token: unknown) => Promise<R>,
  fits?: FitTracker,
): Promise<R> {
  if (fits?.disposed) throw fits.disposedError();
  if (signal?.aborted) throw abortError(signal);
  const token = native().cancelToken();
  const onAbort = (): void => native().cancel(token);
  signal?.addEventListener('abort', onAbort, { once: true });
  fits?.add(token);
  try {
    let result: R;
    try {
      result = await start(token);
    } catch (error) {
      if (fits?.disposed) throw fits.disposedError();
      throw error;
    }
    if (fits?.disposed) throw fits.disposedError();
    if (result.aborted) throw abortError(signal);
    return result;
  } finally {
    fits?.delete(token);
    signal?.removeEventListener('abort', onAbort);
  }
}
