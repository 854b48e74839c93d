/**
 * Mlp: dense layers with fused bias + activation on reckit's own GEMM, forward and backward, Adam/SGD,
 * and a native supervised trainer. Parameters are one flat Float32Array: for each layer its weight
 * [in × out] (row-major, y = x·W + b) then its bias [out].
 */
import { dimMismatch, invalidArg } from './errors';
import { native, type NativeBinding } from './native';
import type { Device } from './random';
import { requireFloat32Array, requireInteger, requireObject, requireOneOf, requireSeed } from './validate';
import {
  fitsOf,
  requireCallback,
  requireLayers,
  requireOptimizer,
  requireSignal,
  runCancellable,
  type LayerSpec,
  type OptimizerOptions,
} from './training';

export type { ActivationName, LayerSpec, OptimizerOptions } from './training';

/** Losses: BCE on logits (mean over elements) and mean squared error. */
export type LossName = 'bce_with_logits' | 'mse';
const LOSSES = ['bce_with_logits', 'mse'] as const;

export interface MlpOptions {
  /** Input width. */
  input: number;
  layers: LayerSpec[];
  /** Seed of the initialization (uniform in ±1/√fan_in, as PyTorch's nn.Linear). Default 0. */
  seed?: number | bigint;
  /** Where `train`/`trainSync` run unless their options say otherwise (default `cpu`): see MlpTrainOptions.device. */
  device?: Device;
}

export interface MlpTrainOptions {
  epochs: number;
  /** Rows per mini-batch; the last batch of an epoch holds the remainder. */
  batchSize: number;
  loss: LossName;
  /** Default Adam with lr 1e-3. */
  optimizer?: OptimizerOptions;
  /** Shuffle rows each epoch (Philox keyed by `seed` and the epoch). Default true. */
  shuffle?: boolean;
  seed?: number | bigint;
  /** Called after each epoch with its mean loss. */
  onEpoch?: (epoch: number, loss: number) => void;
  /** Stops at the next mini-batch; the promise rejects with an AbortError and the model keeps its updates so far. */
  signal?: AbortSignal;
  /**
   * `cuda`: the mini-batches run on the GPU (forward, loss, backward and the update), with the parameters and the
   * optimizer state resident there for the run and copied back after every epoch; the same batches in the same
   * order as on the CPU, so a seed gives the same model within float rounding. `ERR_RECKIT_NO_DEVICE` (with
   * `info().cuda.reason`) where CUDA is unusable; `auto`: `cuda` when usable. Default: the Mlp's `device`.
   */
  device?: Device;
}

export interface BackwardResult {
  /** dL/dx for the rows of the last forward(). */
  inputGrad: Float32Array;
  /** dL/dθ in the layout of parameters(). */
  parameterGrads: Float32Array;
}

/** The mean loss over all elements and its gradient with respect to `output`. */
export function computeLoss(loss: LossName, output: Float32Array, target: Float32Array): { loss: number; grad: Float32Array } {
  const kind = requireOneOf(loss, 'loss', LOSSES);
  const z = requireFloat32Array(output, 'output');
  const y = requireFloat32Array(target, 'target');
  if (z.length !== y.length) throw dimMismatch(`output and target must have the same length (got ${z.length} and ${y.length})`);
  return native().mlpLoss(kind, z, y) as { loss: number; grad: Float32Array };
}

const DEVICES = ['auto', 'cpu', 'cuda'] as const;

function trainArgs(options: MlpTrainOptions, device: Device = 'cpu'): Record<string, unknown> {
  const o = requireObject(options, 'options');
  requireInteger(o.epochs, 'options.epochs', 1);
  requireInteger(o.batchSize, 'options.batchSize', 1);
  const loss = requireOneOf(o.loss, 'options.loss', LOSSES);
  const out: Record<string, unknown> = { epochs: o.epochs, batchSize: o.batchSize, loss };
  if (o.optimizer !== undefined) out.optimizer = requireOptimizer(o.optimizer, 'options.optimizer');
  if (o.shuffle !== undefined) out.shuffle = Boolean(o.shuffle);
  if (o.seed !== undefined) out.seed = requireSeed(o.seed, 'options.seed');
  out.device = o.device === undefined ? device : requireOneOf(o.device, 'options.device', DEVICES);
  return out;
}

export class Mlp {
  /** @internal */
  readonly handle: NativeBinding;
  /** Where training runs by default (the constructor's `device`; `cpu` for a loaded model). */
  readonly device: Device = 'cpu';

  constructor(options: MlpOptions) {
    const o = requireObject(options, 'options');
    if (options === undefined) throw invalidArg('options must be an object');
    const input = requireInteger(o.input, 'options.input', 1, 2 ** 20);
    const layers = requireLayers(o.layers, 'options.layers');
    const seed = o.seed === undefined ? 0 : requireSeed(o.seed, 'options.seed');
    this.device = o.device === undefined ? 'cpu' : requireOneOf(o.device, 'options.device', DEVICES);
    this.handle = new (native().MlpHandle)(input, layers, seed);
  }

  /** @internal Wraps a native handle (from load/fromBuffer). */
  private static wrap(handle: NativeBinding): Mlp {
    const mlp = Object.create(Mlp.prototype) as Mlp;
    (mlp as { handle: NativeBinding }).handle = handle;
    (mlp as { device: Device }).device = 'cpu';
    return mlp;
  }

  private describe(): { input: number; output: number; parameterCount: number; layers: LayerSpec[]; adamSteps: number } {
    return this.handle.describe();
  }

  get inputDim(): number {
    return this.describe().input;
  }
  get outputDim(): number {
    return this.describe().output;
  }
  get parameterCount(): number {
    return this.describe().parameterCount;
  }
  get layers(): LayerSpec[] {
    return this.describe().layers;
  }

  /** Outputs for rows of `x` (length a multiple of inputDim), keeping activations for backward(). */
  forward(x: Float32Array): Float32Array {
    return this.handle.forward(requireFloat32Array(x, 'x'));
  }

  /** forward() off the event loop. */
  forwardAsync(x: Float32Array): Promise<Float32Array> {
    try {
      return this.handle.forwardAsync(requireFloat32Array(x, 'x'));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Outputs without keeping activations: a read, safe alongside other predictions. */
  predict(x: Float32Array): Float32Array {
    return this.handle.predict(requireFloat32Array(x, 'x'));
  }

  predictAsync(x: Float32Array): Promise<Float32Array> {
    try {
      return this.handle.predictAsync(requireFloat32Array(x, 'x'));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Backpropagates dL/d(output) of the last forward(); the parameter gradients are kept for step(). */
  backward(gradOut: Float32Array): BackwardResult {
    return this.handle.backward(requireFloat32Array(gradOut, 'gradOut'));
  }

  /** One optimizer update from `grads` (default: the last backward()'s parameter gradients). */
  step(optimizer?: OptimizerOptions, grads?: Float32Array): void {
    const opt = requireOptimizer(optimizer, 'optimizer');
    this.handle.step(opt, grads === undefined ? undefined : requireFloat32Array(grads, 'grads'));
  }

  /** A copy of every parameter (see the layout in the module comment). */
  parameters(): Float32Array {
    return this.handle.parameters();
  }

  /** A copy of the current parameter gradients. */
  gradients(): Float32Array {
    return this.handle.gradients();
  }

  setParameters(parameters: Float32Array): void {
    this.handle.setParameters(requireFloat32Array(parameters, 'parameters'));
  }

  /**
   * Supervised training off the event loop; resolves with the mean loss of each epoch. dispose() meanwhile
   * stops it at the next mini-batch and it rejects with ERR_RECKIT_DISPOSED.
   */
  train(x: Float32Array, y: Float32Array, options: MlpTrainOptions): Promise<{ losses: number[] }> {
    try {
      const args = trainArgs(options, this.device ?? 'cpu');
      const onEpoch = requireCallback<(e: number, l: number) => void>(options.onEpoch, 'options.onEpoch');
      const signal = requireSignal(options.signal);
      const xs = requireFloat32Array(x, 'x');
      const ys = requireFloat32Array(y, 'y');
      return runCancellable(signal, (token) => this.handle.trainAsync(xs, ys, args, onEpoch, token), fitsOf(this, 'this Mlp')).then((r) => ({
        losses: (r as unknown as { losses: number[] }).losses,
      }));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** train() on the calling thread (blocks the event loop); returns per-epoch mean losses. */
  trainSync(x: Float32Array, y: Float32Array, options: Omit<MlpTrainOptions, 'onEpoch' | 'signal'>): number[] {
    const args = trainArgs(options as MlpTrainOptions, this.device ?? 'cpu');
    return this.handle.train(requireFloat32Array(x, 'x'), requireFloat32Array(y, 'y'), args);
  }

  /** Saves parameters and optimizer state as safetensors (atomic write). */
  save(path: string): void {
    if (typeof path !== 'string') throw invalidArg('path must be a string');
    this.handle.save(path);
  }

  /** save() off the event loop. */
  saveAsync(path: string): Promise<void> {
    if (typeof path !== 'string') return Promise.reject(invalidArg('path must be a string'));
    try {
      return this.handle.saveAsync(path);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  toBuffer(): Buffer {
    return this.handle.toBuffer();
  }

  static load(path: string): Mlp {
    if (typeof path !== 'string') throw invalidArg('path must be a string');
    return Mlp.wrap(native().MlpHandle.load(path));
  }

  /** load() off the event loop. */
  static loadAsync(path: string): Promise<Mlp> {
    if (typeof path !== 'string') return Promise.reject(invalidArg('path must be a string'));
    try {
      return (native().MlpHandle.loadAsync(path) as Promise<NativeBinding>).then((h) => Mlp.wrap(h));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  static fromBuffer(buffer: Uint8Array): Mlp {
    if (!(buffer instanceof Uint8Array)) throw invalidArg('buffer must be a Buffer or Uint8Array');
    return Mlp.wrap(native().MlpHandle.fromBuffer(buffer));
  }

  /** Releases the native memory (after a running train ends: it stops); later calls throw ERR_RECKIT_DISPOSED. */
  dispose(): void {
    fitsOf(this, 'this Mlp').dispose();
    this.handle.dispose();
  }
}
