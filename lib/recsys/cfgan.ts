/**
 * CFGAN (Chae et al., "CFGAN: A Generic Collaborative Filtering Framework based on Generative Adversarial
 * Networks", CIKM 2018), trained natively: the generator maps noise ⊕ a user's purchase vector to a score
 * per item, the discriminator judges real against generated purchase vectors given the same condition,
 * with the paper's partial masking (PM) and zero reconstruction (ZR) over sampled non-purchased items.
 * Recommendations are the generator's scores for the user's condition (noise at its mean, 0);
 * `similarItems` is the cosine between items' input weights in the generator's first layer (how the
 * generator reads "this item was bought").
 */
import { invalidArg, outOfRange, reckitError } from '../errors';
import { resolveDevice } from '../gan';
import { native, type NativeBinding } from '../native';
import type { Device } from '../random';
import { readSafetensors, type SafetensorsTensor } from '../safetensors';
import { fitsOf, requireCallback, requireSignal, runCancellable, type LayerSpec } from '../training';
import { requireInteger, requireNumber, requireObject, requireSeed } from '../validate';
import { itemsByUser, type Interactions } from './interactions';
import { RecommenderBase, checkInteractions, tensor, type FitOptions, type FitReport, type FitProgress } from './model';

export interface CfganOptions {
  /** Hidden layers of the generator (default one of 256 relu units); CFGAN appends items sigmoid units. */
  generator?: LayerSpec[];
  /** Hidden layers of the discriminator (default one of 32 relu units; wider ones measured no better); CFGAN appends one logit. */
  discriminator?: LayerSpec[];
  /** Noise width (default 8; 0 for a generator that sees only the condition). */
  noiseDim?: number;
  /** Training epochs (passes over the users; default 50: longer runs drift towards copying the condition). */
  epochs?: number;
  /** Users per batch (default 64). */
  batchSize?: number;
  /** Adam learning rate of both networks (default 1e-3). */
  lr?: number;
  /** Discriminator updates per generator update (default 1). */
  dSteps?: number;
  /** Share of each user's non-purchased items the discriminator sees (partial masking; default 0.5). */
  pmRatio?: number;
  /** Share of each user's non-purchased items pulled to 0 (zero reconstruction; default 0.5). */
  zrRatio?: number;
  /** Weight α of the zero-reconstruction term (default 0.3). */
  zrWeight?: number;
  /** Seed of the initialization, batch order, noise and negative sampling (default 0; fit's seed wins). */
  seed?: number;
  /**
   * Where fit trains (default `auto`: CUDA when `info().cuda.available`, else the CPU; `cuda` where CUDA is not
   * usable throws ERR_RECKIT_NO_DEVICE with the reason). On CUDA both networks, their Adam state and each step's
   * math stay on the GPU; batches, noise and the PM / ZR masks are the CPU's own draws, so results equal the CPU's
   * within float rounding. Scoring runs on the CPU. Not saved with the model.
   */
  device?: Device;
}

export interface CfganFitOptions extends FitOptions {
  /**
   * Stops before the next step; fit rejects with an AbortError and the model keeps its previous state.
   * (dispose() during a fit stops it the same way; the fit then rejects with ERR_RECKIT_DISPOSED.)
   */
  signal?: AbortSignal;
}

export interface Settings {
  generator: LayerSpec[];
  discriminator: LayerSpec[];
  noiseDim: number;
  epochs: number;
  batchSize: number;
  lr: number;
  dSteps: number;
  pmRatio: number;
  zrRatio: number;
  zrWeight: number;
  seed: number;
}

const DEFAULTS: Settings = {
  generator: [{ units: 256, activation: 'relu' }],
  discriminator: [{ units: 32, activation: 'relu' }],
  noiseDim: 8,
  epochs: 50,
  batchSize: 64,
  lr: 1e-3,
  dSteps: 1,
  pmRatio: 0.5,
  zrRatio: 0.5,
  zrWeight: 0.3,
  seed: 0,
};

function ratio(v: unknown, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  const x = requireNumber(v, name);
  if (x < 0 || x > 1) throw outOfRange(`${name} must be in [0, 1] (got ${x})`);
  return x;
}

function settingsOf(options: unknown): Settings {
  const o = requireObject(options, 'options');
  const s: Settings = { ...DEFAULTS };
  if (o.generator !== undefined) s.generator = layers(o.generator, 'options.generator');
  if (o.discriminator !== undefined) s.discriminator = layers(o.discriminator, 'options.discriminator');
  if (o.noiseDim !== undefined) s.noiseDim = requireInteger(o.noiseDim, 'options.noiseDim', 0, 2 ** 20);
  if (o.epochs !== undefined) s.epochs = requireInteger(o.epochs, 'options.epochs', 1, 2 ** 30);
  if (o.batchSize !== undefined) s.batchSize = requireInteger(o.batchSize, 'options.batchSize', 1, 2 ** 31);
  if (o.lr !== undefined) {
    s.lr = requireNumber(o.lr, 'options.lr');
    if (!(s.lr > 0)) throw outOfRange(`options.lr must be > 0 (got ${s.lr})`);
  }
  if (o.dSteps !== undefined) s.dSteps = requireInteger(o.dSteps, 'options.dSteps', 1, 1000);
  s.pmRatio = ratio(o.pmRatio, 'options.pmRatio', s.pmRatio);
  s.zrRatio = ratio(o.zrRatio, 'options.zrRatio', s.zrRatio);
  if (o.zrWeight !== undefined) {
    s.zrWeight = requireNumber(o.zrWeight, 'options.zrWeight');
    if (s.zrWeight < 0) throw outOfRange(`options.zrWeight must be ≥ 0 (got ${s.zrWeight})`);
  }
  if (o.seed !== undefined) s.seed = Number(requireSeed(o.seed, 'options.seed'));
  return s;
}

function layers(v: unknown, name: string): LayerSpec[] {
  if (!Array.isArray(v)) throw invalidArg(`${name} must be an array of { units, activation? }`);
  return v.map((l, j) => {
    const spec = requireObject(l, `${name}[${j}]`);
    const out: LayerSpec = { units: requireInteger(spec.units, `${name}[${j}].units`, 1, 2 ** 20) };
    if (spec.activation !== undefined) out.activation = spec.activation as LayerSpec['activation'];
    if (spec.alpha !== undefined) out.alpha = requireNumber(spec.alpha, `${name}[${j}].alpha`);
    return out;
  });
}

/** The CSR of the seen matrix as the unsigned views the binding reads (indices are never negative). */
function u32(a: Int32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

function nativeConfig(s: Settings, items: number): Record<string, unknown> {
  return { items, noiseDim: s.noiseDim, generator: s.generator, discriminator: s.discriminator, seed: s.seed };
}

export class CFGAN extends RecommenderBase {
  readonly name = 'cfgan';
  private settings: Settings;
  private handle: NativeBinding | null = null;
  private itemVectors: Float32Array | null = null;
  /** Where fit trains: `cuda` or `cpu` (the `device` option with `auto` resolved). */
  readonly device: 'cpu' | 'cuda';

  constructor(options: CfganOptions = {}) {
    super();
    this.settings = settingsOf(options);
    this.device = resolveDevice(requireObject(options, 'options').device, 'options.device');
  }

  /** The settings in use (defaults filled in). */
  get options(): Readonly<Settings> {
    return this.settings;
  }

  /**
   * Trains a fresh generator and discriminator on `train` off the event loop, reporting each epoch
   * (`loss` is the generator's adversarial loss). The model changes only when the fit completes.
   */
  async fit(train: Interactions, options: CfganFitOptions = {}): Promise<FitReport> {
    this.checkAlive();
    checkInteractions(train);
    if (train.users.length === 0) throw invalidArg('train has no interactions');
    const o = requireObject(options, 'options');
    const onProgress = requireCallback<(p: FitProgress) => void>(o.onProgress, 'options.onProgress');
    const signal = requireSignal(o.signal);
    const settings = { ...this.settings };
    if (o.seed !== undefined) settings.seed = Number(requireSeed(o.seed, 'options.seed'));
    const seen = itemsByUser(train);
    const handle = new (native().CfganHandle)(nativeConfig(settings, train.numItems));
    const losses: number[] = [];
    const args = {
      epochs: settings.epochs, batchSize: Math.min(settings.batchSize, train.numUsers), lr: settings.lr, dSteps: settings.dSteps,
      pmRatio: settings.pmRatio, zrRatio: settings.zrRatio, zrWeight: settings.zrWeight, device: this.device,
    };
    const report = (p: { epoch: number; gLoss: number; dLoss: number; zrLoss: number }) => {
      losses.push(p.gLoss + p.zrLoss);
      onProgress?.({ phase: 'epoch', done: p.epoch + 1, total: settings.epochs, loss: p.gLoss + p.zrLoss });
    };
    try {
      await runCancellable(signal, (token) => handle.fitAsync(u32(seen.offsets), u32(seen.items), args, report, token) as Promise<{ epochs: number; aborted: boolean }>,
        fitsOf(this, 'this cfgan model'));
    } catch (error) {
      handle.dispose();
      throw error;
    }
    if (fitsOf(this, 'this cfgan model').disposed) {
      handle.dispose();
      this.checkAlive();
    }
    this.handle?.dispose();
    this.handle = handle;
    this.itemVectors = null;
    this.settings = settings;
    this.setBase(train);
    return { losses };
  }

  /** Generator scores for a block of users (users × items, row-major), computed off the event loop. */
  override scoreUsers(users: Int32Array): Promise<Float32Array> {
    try {
      this.checkUsers(users);
      const st = this.fittedState();
      return this.live().scoreAsync(u32(st.seen.offsets), u32(st.seen.items), u32(users));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** {@link scoreUsers} on the calling thread (one native call; for small blocks). */
  scoreUsersSync(users: Int32Array): Float32Array {
    this.checkUsers(users);
    const st = this.fittedState();
    return this.live().score(u32(st.seen.offsets), u32(st.seen.items), u32(users));
  }

  private checkUsers(users: Int32Array): void {
    const st = this.fittedState();
    if (!(users instanceof Int32Array)) throw invalidArg('users must be an Int32Array of user indices');
    for (let j = 0; j < users.length; j++) {
      if (users[j] < 0 || users[j] >= st.userIds.size) throw outOfRange(`users[${j}] = ${users[j]} is outside 0..${st.userIds.size - 1}`);
    }
  }

  protected scoreUserInto(u: number, out: Float32Array): void {
    out.set(this.scoreUsersSync(Int32Array.of(u)));
  }

  protected similarInto(i: number, out: Float32Array): void {
    const vectors = this.itemEmbeddings();
    const n = this.numItems, h = vectors.length / n;
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let d = 0; d < h; d++) s += vectors[i * h + d] * vectors[j * h + d];
      out[j] = s;
    }
  }

  /** Unit rows of the generator's first-layer weights for the item inputs (items × width). */
  private itemEmbeddings(): Float32Array {
    if (this.itemVectors) return this.itemVectors;
    const n = this.numItems, nd = this.settings.noiseDim;
    const h = this.settings.generator.length > 0 ? this.settings.generator[0].units : n;
    const w = this.live().parameters().generator as Float32Array;
    const v = new Float32Array(n * h);
    for (let i = 0; i < n; i++) {
      let sq = 0;
      for (let d = 0; d < h; d++) sq += w[(nd + i) * h + d] ** 2;
      const inv = sq > 0 ? 1 / Math.sqrt(sq) : 0;
      for (let d = 0; d < h; d++) v[i * h + d] = w[(nd + i) * h + d] * inv;
    }
    this.itemVectors = v;
    return v;
  }

  protected modelTensors(): Record<string, SafetensorsTensor> {
    const p = this.live().parameters();
    return {
      'cfgan.generator': { dtype: 'F32', shape: [p.generator.length], data: p.generator },
      'cfgan.discriminator': { dtype: 'F32', shape: [p.discriminator.length], data: p.discriminator },
    };
  }

  protected override modelConfig(): Record<string, unknown> {
    return { ...this.settings };
  }

  override dispose(): void {
    fitsOf(this, 'this cfgan model').dispose();  // a fit in flight stops and rejects with ERR_RECKIT_DISPOSED
    this.handle?.dispose();
    this.handle = null;
    this.itemVectors = null;
    super.dispose();
  }

  private live(): NativeBinding {
    this.fittedState();
    if (!this.handle) throw reckitError('ERR_RECKIT_INVALID_ARG', 'this cfgan model is not fitted yet: call fit() or load()');
    return this.handle;
  }

  /** Loads a model written by {@link save} / {@link toBuffer}; damaged files raise ERR_RECKIT_CORRUPT_FILE. */
  static load(source: string | Uint8Array): CFGAN {
    const content = readSafetensors(source);
    const model = new CFGAN();
    const config = model.restoreBase(content, 'recsys.cfgan');
    let settings: Settings;
    try {
      settings = settingsOf(config);
    } catch (error) {
      throw reckitError('ERR_RECKIT_CORRUPT_FILE', `cfgan settings are invalid: ${(error as Error).message}`);
    }
    const g = tensor(content, 'cfgan.generator', 'F32', null) as Float32Array;
    const d = tensor(content, 'cfgan.discriminator', 'F32', null) as Float32Array;
    try {
      model.handle = new (native().CfganHandle)(nativeConfig(settings, model.numItems), g, d);
    } catch (error) {
      throw reckitError('ERR_RECKIT_CORRUPT_FILE', `cfgan tensors do not match the settings: ${(error as Error).message}`);
    }
    model.settings = settings;
    return model;
  }
}
