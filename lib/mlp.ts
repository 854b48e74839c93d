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
  /** Where the model lives and its calls run (default `auto`): see {@link MlpDeviceOption}. */
  device?: Device;
}

/**
 * `device`: where the model lives. `cuda` keeps its parameters, gradients and optimizer state on the GPU for the
 * model's life (uploaded by the first call, and again after `setParameters` or a CPU training run): `forward`,
 * `predict`, `backward`, `step` and `train` run there, and `parameters()`, `gradients()`, `save` and `toBuffer` read
 * the device's state back. Results match the CPU within float rounding (docs/cuda.md states the tolerances). Where
 * CUDA is not usable, `cuda` throws `ERR_RECKIT_NO_DEVICE` with `info().cuda.reason`. `auto` (the default) is
 * `cuda` when CUDA is usable, else the CPU; on `auto`, a device failure (out of device memory) moves the model to
 * the CPU with its state intact and the call completes there, where `cuda` throws `ERR_RECKIT_OUT_OF_MEMORY` and
 * keeps the model as it was. `cpu` never touches the GPU: ask for it to keep a model on the CPU.
 */
export interface MlpDeviceOption {
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
   * Where this run goes (default: where the model lives, {@link MlpDeviceOption}). The same batches in the same
   * order on either side, so a seed gives the same model within float rounding. On a CPU model, `cuda` (or `auto`
   * with CUDA usable) trains on a device copy made for the run and copied back after every epoch; on a device
   * model, `cpu` trains the host copy, which the device then takes up. `ERR_RECKIT_NO_DEVICE` (with
   * `info().cuda.reason`) where CUDA is unusable.
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

function trainArgs(options: MlpTrainOptions): Record<string, unknown> {
  const o = requireObject(options, 'options');
  requireInteger(o.epochs, 'options.epochs', 1);
  requireInteger(o.batchSize, 'options.batchSize', 1);
  const loss = requireOneOf(o.loss, 'options.loss', LOSSES);
  const out: Record<string, unknown> = { epochs: o.epochs, batchSize: o.batchSize, loss };
  if (o.optimizer !== undefined) out.optimizer = requireOptimizer(o.optimizer, 'options.optimizer');
  if (o.shuffle !== undefined) out.shuffle = Boolean(o.shuffle);
  if (o.seed !== undefined) out.seed = requireSeed(o.seed, 'options.seed');
  if (o.device !== undefined) out.device = requireOneOf(o.device, 'options.device', DEVICES);
  return out;
}

function deviceOf(options: unknown): Device {
  if (options === undefined) return 'auto';
  const o = requireObject(options, 'options');
  return o.device === undefined ? 'auto' : requireOneOf(o.device, 'options.device', DEVICES);
}

/** Places a fresh native handle on `device`; on failure (cuda unavailable) frees it before throwing. */
function placed(handle: NativeBinding, device: Device): NativeBinding {
  try {
    handle.setDevice(device);
  } catch (error) {
    handle.dispose();
    throw error;
  }
  return handle;
}

export class Mlp {
  /** @internal */
  readonly handle: NativeBinding;

  constructor(options: MlpOptions) {
    const o = requireObject(options, 'options');
    if (options === undefined) throw invalidArg('options must be an object');
    const input = requireInteger(o.input, 'options.input', 1, 2 ** 20);
    const layers = requireLayers(o.layers, 'options.layers');
    const seed = o.seed === undefined ? 0 : requireSeed(o.seed, 'options.seed');
    const device = deviceOf(options);
    this.handle = placed(new (native().MlpHandle)(input, layers, seed), device);
  }

  /** @internal Wraps a native handle (from load/fromBuffer). */
  private static wrap(handle: NativeBinding, device: Device): Mlp {
    const mlp = Object.create(Mlp.prototype) as Mlp;
    (mlp as { handle: NativeBinding }).handle = placed(handle, device);
    return mlp;
  }

  /** Where the model lives now: `cuda` or `cpu` (`auto` resolved; `cpu` after a device failure on `auto`). */
  get device(): 'cpu' | 'cuda' {
    return this.handle.device() as 'cpu' | 'cuda';
  }

  /** Moves the model: `cpu` brings its state back from the device and frees the device memory. */
  setDevice(device: Device): void {
    this.handle.setDevice(requireOneOf(device, 'device', DEVICES));
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
      const args = trainArgs(options);
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
    const args = trainArgs(options as MlpTrainOptions);
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

  /** Loads a saved model onto `options.device` (default `auto`, as the constructor). */
  static load(path: string, options?: MlpDeviceOption): Mlp {
    if (typeof path !== 'string') throw invalidArg('path must be a string');
    const device = deviceOf(options);
    return Mlp.wrap(native().MlpHandle.load(path), device);
  }

  /** load() off the event loop. */
  static loadAsync(path: string, options?: MlpDeviceOption): Promise<Mlp> {
    if (typeof path !== 'string') return Promise.reject(invalidArg('path must be a string'));
    try {
      const device = deviceOf(options);
      return (native().MlpHandle.loadAsync(path) as Promise<NativeBinding>).then((h) => Mlp.wrap(h, device));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  static fromBuffer(buffer: Uint8Array, options?: MlpDeviceOption): Mlp {
    if (!(buffer instanceof Uint8Array)) throw invalidArg('buffer must be a Buffer or Uint8Array');
    const device = deviceOf(options);
    return Mlp.wrap(native().MlpHandle.fromBuffer(buffer), device);
  }

  /** Releases the native memory (after a running train ends: it stops); later calls throw ERR_RECKIT_DISPOSED. */
  dispose(): void {
    fitsOf(this, 'this Mlp').dispose();
    this.handle.dispose();
  }
}
