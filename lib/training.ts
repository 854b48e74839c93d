/**
 * Pieces shared by Mlp and Gan: layer and optimizer descriptions, and running a native training job
 * with a progress callback and an AbortSignal.
 */
import { invalidArg, outOfRange } from './errors';
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
 * Starts a native job that takes a cancel token, wiring `signal` to it. Resolves with the job's result,
 * or rejects with an AbortError when the signal fired (the model keeps its last whole step).
 */
export async function runCancellable<R extends { aborted: boolean }>(
  signal: AbortSignal | undefined,
  start: (token: unknown) => Promise<R>,
): Promise<R> {
  if (signal?.aborted) throw abortError(signal);
  const token = native().cancelToken();
  const onAbort = (): void => native().cancel(token);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const result = await start(token);
    if (result.aborted) throw abortError(signal);
    return result;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
