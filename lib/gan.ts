/**
 * Gan: a generator and a discriminator Mlp trained natively with the non-saturating BCE-with-logits
 * loss, for synthesizing tabular rows (augmentation, rebalancing rare classes). Optional conditions are
 * concatenated to the noise and to the data. The same seed and thread count give the same weights bit
 * for bit, across save/load and resumed fits.
 */
import { invalidArg, outOfRange, reckitError } from './errors';
import { info } from './info';
import { native, type NativeBinding } from './native';
import type { Device } from './random';
import { requireFloat32Array, requireInteger, requireNumber, requireObject, requireOneOf, requireSeed } from './validate';
import {
  ACTIVATIONS,
  fitsOf,
  requireCallback,
  requireLayers,
  requireSignal,
  runCancellable,
  type ActivationName,
  type LayerSpec,
} from './training';

export interface GanOptions {
  dataDim: number;
  noiseDim: number;
  /** Width of the condition vector (class one-hot, context); 0 or absent for an unconditional Gan. */
  conditionDim?: number;
  /** Hidden layers of the generator; the Gan appends dataDim units with `outputActivation`. */
  generator: LayerSpec[];
  /** Hidden layers of the discriminator; the Gan appends one linear logit. */
  discriminator: LayerSpec[];
  /** Default 'linear'; 'tanh' suits data scaled to [-1, 1]. */
  outputActivation?: ActivationName;
  /**
   * Per-span output activations instead of one `outputActivation` (tabular rows): spans tile the
   * dataDim outputs in order; 'tanh' for scalars, 'softmax' or 'gumbel' (Gumbel-softmax at temperature
   * `tau`) for one-hot blocks. Forward and backward run natively.
   */
  outputSpans?: OutputSpan[];
  /** Gumbel-softmax temperature (default 0.2). */
  tau?: number;
  /**
   * Conditional-generator loss (CTGAN): condition slots [conditionStart, +width) ask the generator for
   * the one-hot output span starting at dataStart; its cross-entropy (× conditionLossWeight, default 1)
   * is added to the generator's loss.
   */
  conditionLinks?: ConditionLink[];
  conditionLossWeight?: number;
  /** PacGAN packing: the discriminator judges `pac` rows at once (default 1; batchSize must be a multiple). */
  pac?: number;
  seed?: number | bigint;
  /**
   * Where `fit` runs (default `auto`: CUDA when `info().cuda.available`, else the CPU without a word). `cuda`:
   * both networks, their Adam state and each step's math stay on the GPU for the fit (the same batches, noise
   * and counters as on the CPU, so a fit resumes on either device; results equal the CPU's within float
   * rounding, not bit for bit); it throws `ERR_RECKIT_NO_DEVICE` with `info().cuda.reason` where CUDA is not
   * usable. `sample`, `generate` and `discriminate` run the networks' forwards there too (noise, Gumbel noise
   * and the output spans stay the CPU's code, so they match the CPU's within float rounding).
   */
  device?: Device;
}

export type SpanKind = 'linear' | 'tanh' | 'softmax' | 'gumbel';

export interface OutputSpan {
  kind: SpanKind;
  width: number;
  /** Optional; must equal the sum of the previous widths. */
  start?: number;
}

export interface ConditionLink {
  conditionStart: number;
  dataStart: number;
  width: number;
}

/** Means over one epoch. */
export interface GanProgress {
  /** Index of the finished epoch, counting across fits of this model. */
  epoch: number;
  /** Discriminator loss: BCE on real plus BCE on fake. */
  dLoss: number;
  /** Generator loss: -log D(G(z)). */
  gLoss: number;
  /** Mean D(real) and D(fake) (probabilities) during the discriminator updates. */
  dReal: number;
  dFake: number;
  /** Mean conditional cross-entropy per generator step (0 without conditionLinks). */
  conditionLoss: number;
}

export interface GanFitOptions {
  epochs: number;
  /** Rows per batch (1..rows); the last batch of an epoch holds the remainder. */
  batchSize: number;
  /** Adam learning rate for both networks (default 2e-4). */
  lr?: number;
  /** Adam betas (default [0.5, 0.999]). */
  betas?: [number, number];
  /** Discriminator updates (on consecutive batches) per generator update (default 1). */
  dSteps?: number;
  /** One-sided label smoothing: real targets become 1 - labelSmoothing (default 0). */
  labelSmoothing?: number;
  /** rows × conditionDim, required when the Gan is conditional. */
  conditions?: Float32Array;
  onProgress?: (progress: GanProgress) => void;
  /** Stops before the next step; fit rejects with an AbortError and the model keeps its last whole step. */
  signal?: AbortSignal;
}

export interface GanSampleOptions {
  /** conditionDim values for every row, or n × conditionDim. */
  condition?: Float32Array;
  /** Noise from Philox (seed, stream 0): `random.normal(n * noiseDim, { seed })`. Default: a fresh stream per call. */
  seed?: number | bigint;
}

export interface Description {
  dataDim: number;
  noiseDim: number;
  conditionDim: number;
  outputActivation: ActivationName;
  outputSpans: Required<OutputSpan>[];
  tau: number;
  conditionLinks: ConditionLink[];
  conditionLossWeight: number;
  pac: number;
  generator: LayerSpec[];
  discriminator: LayerSpec[];
  seed: bigint;
  epochs: number;
  discriminatorSteps: number;
  generatorSteps: number;
  generatorParameterCount: number;
  discriminatorParameterCount: number;
}

function optionalArray(value: unknown, name: string): Float32Array | undefined {
  return value === undefined ? undefined : requireFloat32Array(value, name);
}

const DEVICES = ['auto', 'cpu', 'cuda'] as const;

/**
 * @internal `auto` resolved against this machine; `cuda` where CUDA is unusable throws ERR_RECKIT_NO_DEVICE with
 * the reason. Shared by the models built on Gan (TabularSynthesizer).
 */
export function resolveDevice(value: unknown, name: string): 'cpu' | 'cuda' {
  const device = value === undefined ? 'auto' : requireOneOf(value, name, DEVICES);
  if (device === 'cpu') return 'cpu';
  const cuda = info().cuda;
  if (cuda.available) return 'cuda';
  if (device === 'auto') return 'cpu';
  throw reckitError('ERR_RECKIT_NO_DEVICE', `CUDA is not available: ${cuda.reason}`);
}

export class Gan {
  /** @internal */
  readonly handle: NativeBinding;
  /** Where `fit`, `sample`, `generate` and `discriminate` run: `cuda` or `cpu` (the constructor's `device` with `auto` resolved). */
  readonly device: 'cpu' | 'cuda' = 'cpu';

  constructor(options: GanOptions) {
    if (options === undefined) throw invalidArg('options must be an object');
    const o = requireObject(options, 'options');
    const config = {
      dataDim: requireInteger(o.dataDim, 'options.dataDim', 1, 2 ** 20),
      noiseDim: requireInteger(o.noiseDim, 'options.noiseDim', 1, 2 ** 20),
      conditionDim: o.conditionDim === undefined ? 0 : requireInteger(o.conditionDim, 'options.conditionDim', 0, 2 ** 20),
      generator: o.generator === undefined ? [] : requireHidden(o.generator, 'options.generator'),
      discriminator: o.discriminator === undefined ? [] : requireHidden(o.discriminator, 'options.discriminator'),
      outputActivation:
        o.outputActivation === undefined ? 'linear' : requireOneOf(o.outputActivation, 'options.outputActivation', ACTIVATIONS),
      seed: o.seed === undefined ? 0 : requireSeed(o.seed, 'options.seed'),
    } as Record<string, unknown>;
    if (o.outputSpans !== undefined) config.outputSpans = o.outputSpans;
    if (o.tau !== undefined) config.tau = requireNumber(o.tau, 'options.tau');
    if (o.conditionLinks !== undefined) config.conditionLinks = o.conditionLinks;
    if (o.conditionLossWeight !== undefined) config.conditionLossWeight = requireNumber(o.conditionLossWeight, 'options.conditionLossWeight');
    if (o.pac !== undefined) config.pac = requireInteger(o.pac, 'options.pac', 1, 64);
    this.device = resolveDevice(o.device, 'options.device');
    this.handle = new (native().GanHandle)(config);
    this.handle.setInferenceDevice(this.device === 'cuda');
  }

  private static wrap(handle: NativeBinding, device: 'cpu' | 'cuda'): Gan {
    const gan = Object.create(Gan.prototype) as Gan;
    (gan as { handle: NativeBinding }).handle = handle;
    (gan as { device: 'cpu' | 'cuda' }).device = device;
    handle.setInferenceDevice(device === 'cuda');
    return gan;
  }

  /** The architecture and training counters. */
  describe(): Description {
    return this.handle.describe();
  }

  get dataDim(): number {
    return this.describe().dataDim;
  }
  get noiseDim(): number {
    return this.describe().noiseDim;
  }
  get conditionDim(): number {
    return this.describe().conditionDim;
  }
  /** Epochs trained so far (across fits and save/load). */
  get epochs(): number {
    return this.describe().epochs;
  }

  /**
   * Trains for whole epochs off the event loop. `data` holds rows × dataDim finite values. Resolves with
   * the number of epochs run; rejects with an AbortError when `signal` fires, with ERR_RECKIT_DISPOSED when
   * dispose() is called meanwhile.
   */
  fit(data: Float32Array, options: GanFitOptions): Promise<{ epochs: number }> {
    try {
      const rows = requireFloat32Array(data, 'data');
      const o = requireObject(options, 'options');
      if (options === undefined) throw invalidArg('options must be an object');
      const args: Record<string, unknown> = {
        epochs: requireInteger(o.epochs, 'options.epochs', 1),
        batchSize: requireInteger(o.batchSize, 'options.batchSize', 1),
        device: this.device,
      };
      if (o.lr !== undefined) {
        args.lr = requireNumber(o.lr, 'options.lr');
        if ((args.lr as number) <= 0) throw outOfRange(`options.lr must be > 0 (got ${o.lr})`);
      }
      if (o.betas !== undefined) args.betas = o.betas;
      if (o.dSteps !== undefined) args.dSteps = requireInteger(o.dSteps, 'options.dSteps', 1, 1000);
      if (o.labelSmoothing !== undefined) args.labelSmoothing = requireNumber(o.labelSmoothing, 'options.labelSmoothing');
      const conditions = optionalArray(o.conditions, 'options.conditions');
      const onProgress = requireCallback<(p: GanProgress) => void>(o.onProgress, 'options.onProgress');
      const signal = requireSignal(o.signal);
      return runCancellable(signal, (token) =>
        this.handle.fitAsync(rows, conditions, args, onProgress, token) as Promise<{ epochs: number; aborted: boolean }>,
      fitsOf(this, 'this Gan')).then((r) => ({ epochs: r.epochs }));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** `n` synthetic rows (n × dataDim). */
  sample(n: number, options?: GanSampleOptions): Float32Array {
    const [count, condition, seed] = sampleArgs(n, options);
    return this.handle.sample(count, condition, seed);
  }

  sampleAsync(n: number, options?: GanSampleOptions): Promise<Float32Array> {
    try {
      const [count, condition, seed] = sampleArgs(n, options);
      return this.handle.sampleAsync(count, condition, seed);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The generator on given noise rows (rows × noiseDim) and, if conditional, conditions (rows × conditionDim). */
  generate(noise: Float32Array, conditions?: Float32Array): Float32Array {
    return this.handle.generate(requireFloat32Array(noise, 'noise'), optionalArray(conditions, 'conditions'));
  }

  /** The discriminator's logit for each data row (each pack of `pac` consecutive rows). */
  discriminate(data: Float32Array, conditions?: Float32Array): Float32Array {
    return this.handle.discriminate(requireFloat32Array(data, 'data'), optionalArray(conditions, 'conditions'));
  }

  /** Copies of both networks' parameters (Mlp layout). */
  parameters(): { generator: Float32Array; discriminator: Float32Array } {
    return this.handle.parameters();
  }

  /** Saves weights, Adam state and training counters (safetensors, atomic write). */
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

  /** `options.device`: where later fits run (as the constructor's; default `auto`). */
  static load(path: string, options?: { device?: Device }): Gan {
    if (typeof path !== 'string') throw invalidArg('path must be a string');
    const device = resolveDevice(requireObject(options, 'options').device, 'options.device');
    return Gan.wrap(native().GanHandle.load(path), device);
  }

  /** load() off the event loop. */
  static loadAsync(path: string, options?: { device?: Device }): Promise<Gan> {
    if (typeof path !== 'string') return Promise.reject(invalidArg('path must be a string'));
    try {
      const device = resolveDevice(requireObject(options, 'options').device, 'options.device');
      return (native().GanHandle.loadAsync(path) as Promise<NativeBinding>).then((h) => Gan.wrap(h, device));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  static fromBuffer(buffer: Uint8Array, options?: { device?: Device }): Gan {
    if (!(buffer instanceof Uint8Array)) throw invalidArg('buffer must be a Buffer or Uint8Array');
    const device = resolveDevice(requireObject(options, 'options').device, 'options.device');
    return Gan.wrap(native().GanHandle.fromBuffer(buffer), device);
  }

  /**
   * Releases native memory (a running fit stops at its next step and rejects with ERR_RECKIT_DISPOSED; its
   * memory is freed when it ends); later calls throw ERR_RECKIT_DISPOSED.
   */
  dispose(): void {
    fitsOf(this, 'this Gan').dispose();
    this.handle.dispose();
  }
}

function requireHidden(value: unknown, name: string): LayerSpec[] {
  if (Array.isArray(value) && value.length === 0) return [];
  return requireLayers(value, name);
}

function sampleArgs(n: unknown, options: GanSampleOptions | undefined): [number, Float32Array | undefined, number | bigint | undefined] {
  const count = requireInteger(n, 'n', 1, 2 ** 31);
  const o = requireObject(options, 'options');
  return [count, optionalArray(o.condition, 'options.condition'), o.seed === undefined ? undefined : requireSeed(o.seed, 'options.seed')];
}
