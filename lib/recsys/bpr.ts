/**
 * BPR matrix factorisation (Rendle et al., UAI 2009): x_ui = p_u · q_i + b_i, trained on sampled triples
 * (u, i, j) — i an item u met, j one u did not — to minimise softplus(-(x_ui - x_uj)) + L2. The epoch loop
 * (Philox negative sampling, gradients, and EmbeddingTable's fused sparse optimizer steps) is native and
 * runs off the event loop; it is deterministic for a seed and thread count.
 *
 * `profile: 'bag'` scores a user by the weighted bag (mean) of their items' embeddings (EmbeddingTable
 * lookupBag) instead of the learned user vector: the same item space, usable for any basket of items.
 * similarItems ranks items by cosine of their embeddings through a CosineIndex built from the item table.
 */
import { CosineIndex } from '../cosine-index';
import { EmbeddingTable } from '../embedding-table';
import { invalidArg, outOfRange, reckitError } from '../errors';
import { native } from '../native';
import { readSafetensors, type SafetensorsTensor } from '../safetensors';
import { requireInteger, requireNumber, requireObject, requireOneOf } from '../validate';
import { toCsr, type Interactions } from './interactions';
import { fitsOf, requireCallback, requireSignal, runCancellable, type FitTracker } from '../training';
import { checkInteractions, RecommenderBase, tensor, type FitOptions, type FitProgress, type FitReport } from './model';

export interface BprOptions {
  /** Embedding dimension (default 128). */
  factors?: number;
  /** Passes over the training interactions (default 60). */
  epochs?: number;
  /** Learning rate (default 0.03). */
  lr?: number;
  /** L2 coefficient on every row a triple touches, per occurrence (default 0.015). */
  reg?: number;
  /** Triples per sparse step (default 256). */
  batch?: number;
  /** Sparse optimizer of the steps (default 'sgd'). */
  optimizer?: 'sgd' | 'adagrad' | 'adam';
  /** Learn an item bias b_i (default true). */
  bias?: boolean;
  /** Std of the normal initialisation (default 0.1). */
  initStd?: number;
  /** How users are represented at scoring time (default 'user'). */
  profile?: 'user' | 'bag';
}

export interface BprFitOptions extends FitOptions {
  /**
   * Stops after the current epoch; fit rejects with an AbortError and the model keeps its previous state.
   * (dispose() during a fit stops it the same way; the fit then rejects with ERR_RECKIT_DISPOSED.)
   */
  signal?: AbortSignal;
}

export interface BprConfig {
  factors: number;
  epochs: number;
  lr: number;
  reg: number;
  batch: number;
  optimizer: 'sgd' | 'adagrad' | 'adam';
  bias: boolean;
  initStd: number;
  profile: 'user' | 'bag';
}

const OPTIMIZERS = ['sgd', 'adagrad', 'adam'] as const;
const PROFILES = ['user', 'bag'] as const;

function finiteAtLeast0(v: unknown, name: string): number {
  const x = requireNumber(v, name);
  if (!(x >= 0) || !Number.isFinite(x)) throw outOfRange(`${name} must be a finite number >= 0`);
  return x;
}

function bprConfig(options: unknown): BprConfig {
  const o = requireObject(options, 'options');
  const optimizer = o.optimizer === undefined ? 'sgd' : requireOneOf(o.optimizer, 'options.optimizer', OPTIMIZERS);
  return {
    factors: o.factors === undefined ? 128 : requireInteger(o.factors, 'options.factors', 1, 4096),
    epochs: o.epochs === undefined ? 60 : requireInteger(o.epochs, 'options.epochs', 0, 100000),
    lr: o.lr === undefined ? 0.03 : finiteAtLeast0(o.lr, 'options.lr'),
    reg: o.reg === undefined ? 0.015 : finiteAtLeast0(o.reg, 'options.reg'),
    batch: o.batch === undefined ? 256 : requireInteger(o.batch, 'options.batch', 1, 1 << 24),
    optimizer,
    bias: o.bias === undefined ? true : requireBool(o.bias, 'options.bias'),
    initStd: o.initStd === undefined ? 0.1 : finiteAtLeast0(o.initStd, 'options.initStd'),
    profile: o.profile === undefined ? 'user' : requireOneOf(o.profile, 'options.profile', PROFILES),
  };
}

function requireBool(v: unknown, name: string): boolean {
  if (typeof v !== 'boolean') throw invalidArg(`${name} must be a boolean`);
  return v;
}

interface Tables {
  users: EmbeddingTable;
  items: EmbeddingTable;
  bias: EmbeddingTable | null;
}

export class Bpr extends RecommenderBase {
  readonly name = 'bpr';
  private config: BprConfig;
  private tables: Tables | null = null;
  private index: CosineIndex | null = null;

  constructor(options?: BprOptions) {
    super();
    this.config = bprConfig(options ?? {});
  }

  /** The settings in use (defaults filled in). */
  get options(): Readonly<BprConfig> {
    return { ...this.config };
  }

  /** Builds fresh tables and trains them; a failed fit leaves the previous model in place. */
  async fit(train: Interactions, options: BprFitOptions = {}): Promise<FitReport> {
    this.checkAlive();
    const o = requireObject(options, 'options');
    const signal = requireSignal(o.signal);
    const onProgress = requireCallback<(p: FitProgress) => void>(o.onProgress, 'options.onProgress');
    checkInteractions(train);
    if (train.users.length === 0) throw invalidArg('train has no interactions');
    const seed = o.seed === undefined ? 0 : requireInteger(o.seed, 'options.seed', 0, Number.MAX_SAFE_INTEGER - 2);
    const c = this.config;
    const seen = toCsr(train, { by: 'user', binary: true });
    // BPR's native trainer reads the rows in place every batch: its tables stay on the CPU.
    const device = 'cpu';
    const users = await EmbeddingTable.createAsync({ rows: train.numUsers, dim: c.factors, init: { kind: 'normal', std: c.initStd, seed }, device });
    const items = await EmbeddingTable.createAsync({ rows: train.numItems, dim: c.factors, init: { kind: 'normal', std: c.initStd, seed: seed + 1 }, device });
    const bias = c.bias ? await EmbeddingTable.createAsync({ rows: train.numItems, dim: 1, init: { kind: 'zeros' }, device }) : null;
    let losses: Float64Array;
    const fits = fitsOf(this, 'this bpr model');
    try {
      losses = await trainTables({ users, items, bias }, seen, c, seed, (epoch, loss) => onProgress?.({ phase: 'epoch', done: epoch + 1, total: c.epochs, loss }), signal, fits);
      if (fits.disposed) throw fits.disposedError();
    } catch (error) {
      users.dispose();
      items.dispose();
      bias?.dispose();
      throw error;
    }
    this.releaseTables();
    this.setBase(train);
    this.tables = { users, items, bias };
    return { losses: Array.from(losses) };
  }

  /** The item embeddings (read them freely; writing changes the model). */
  get itemEmbeddings(): EmbeddingTable {
    return this.fittedTables().items;
  }

  /** The learned user embeddings. */
  get userEmbeddings(): EmbeddingTable {
    return this.fittedTables().users;
  }

  /**
   * Profiles of user indices as `users.length × factors` vectors: the learned vectors (`'user'`) or the
   * mean of the embeddings of each user's training items (`'bag'`, lookupBag).
   */
  userProfiles(users: Int32Array, profile: 'user' | 'bag' = this.config.profile): Float32Array {
    const t = this.fittedTables();
    checkUsers(users, this.numUsers);
    if (profile === 'user') return t.users.lookup(users);
    const [ids, offsets] = this.bags(users);
    return t.items.lookupBag(ids, offsets, { mode: 'mean' });
  }

  /**
   * Scores every item for an ad-hoc basket of item indices (a visitor's session, a cold-start user): the
   * bag profile of the basket against the item embeddings.
   */
  scoreBasket(items: Int32Array, weights?: Float32Array): Float32Array {
    const t = this.fittedTables();
    if (!(items instanceof Int32Array)) throw invalidArg('items must be an Int32Array of item indices');
    const profile = t.items.lookupBag(items, Int32Array.of(0), { mode: 'mean', weights });
    return native().bprScore(t.users.nativeHandle, t.items.nativeHandle, t.bias?.nativeHandle, profile) as Float32Array;
  }

  override async scoreUsers(users: Int32Array): Promise<Float32Array> {
    const t = this.fittedTables();
    checkUsers(users, this.numUsers);
    let vectors: Float32Array;
    if (this.config.profile === 'user') {
      vectors = await t.users.lookupAsync(users);
    } else {
      const [ids, offsets] = this.bags(users);
      vectors = await t.items.lookupBagAsync(ids, offsets, { mode: 'mean' });
    }
    return native().bprScoreAsync(t.users.nativeHandle, t.items.nativeHandle, t.bias?.nativeHandle, vectors) as Promise<Float32Array>;
  }

  protected scoreUserInto(u: number, out: Float32Array): void {
    const t = this.fittedTables();
    const v = this.userProfiles(Int32Array.of(u));
    out.set(native().bprScore(t.users.nativeHandle, t.items.nativeHandle, t.bias?.nativeHandle, v) as Float32Array);
  }

  /** Cosine of item embeddings, through a CosineIndex built natively from the item table (cached). */
  protected similarInto(i: number, out: Float32Array): void {
    const t = this.fittedTables();
    if (!this.index) this.index = CosineIndex.fromTable(t.items, { metric: 'cosine' });
    out.fill(-Infinity);
    const r = this.index.searchSync(t.items.get(i), { k: t.items.rows });
    for (let s = 0; s < r.k; s++) if (r.ids[s] >= 0) out[r.ids[s]] = r.scores[s];
  }

  protected modelTensors(): Record<string, SafetensorsTensor> {
    const t = this.fittedTables();
    const out: Record<string, SafetensorsTensor> = {
      users: { dtype: 'F32', shape: [t.users.rows, t.users.dim], data: t.users.data() },
      items: { dtype: 'F32', shape: [t.items.rows, t.items.dim], data: t.items.data() },
    };
    if (t.bias) out.bias = { dtype: 'F32', shape: [t.bias.rows, 1], data: t.bias.data() };
    return out;
  }

  protected override modelConfig(): Record<string, unknown> {
    return { ...this.config };
  }

  override dispose(): void {
    fitsOf(this, 'this bpr model').dispose();  // a fit in flight stops and rejects with ERR_RECKIT_DISPOSED
    this.releaseTables();
    super.dispose();
  }

  static load(source: string | Uint8Array): Bpr {
    const content = readSafetensors(source);
    const m = new Bpr();
    const saved = m.restoreBase(content, 'recsys.bpr');
    try {
      m.config = bprConfig(saved);
    } catch {
      throw reckitError('ERR_RECKIT_CORRUPT_FILE', 'the saved bpr settings are invalid');
    }
    const f = m.config.factors;
    const users = tensor(content, 'users', 'F32', [m.numUsers, f]) as Float32Array;
    const items = tensor(content, 'items', 'F32', [m.numItems, f]) as Float32Array;
    const bias = m.config.bias ? (tensor(content, 'bias', 'F32', [m.numItems, 1]) as Float32Array) : null;
    for (const a of [users, items, bias]) {
      if (a && !a.every(Number.isFinite)) throw reckitError('ERR_RECKIT_CORRUPT_FILE', 'saved embeddings are not finite');
    }
    m.tables = {
      users: EmbeddingTable.fromArray(m.numUsers, f, users, { device: 'cpu' }),
      items: EmbeddingTable.fromArray(m.numItems, f, items, { device: 'cpu' }),
      bias: bias ? EmbeddingTable.fromArray(m.numItems, 1, bias, { device: 'cpu' }) : null,
    };
    return m;
  }

  private fittedTables(): Tables {
    this.fittedState();
    return this.tables as Tables;
  }

  /** Each user's training items as bags (ids, offsets) for lookupBag. */
  private bags(users: Int32Array): [Int32Array, Int32Array] {
    const seen = this.fittedState().seen;
    let total = 0;
    for (const u of users) total += seen.offsets[u + 1] - seen.offsets[u];
    const ids = new Int32Array(total);
    const offsets = new Int32Array(users.length);
    let w = 0;
    users.forEach((u, b) => {
      offsets[b] = w;
      ids.set(seen.items.subarray(seen.offsets[u], seen.offsets[u + 1]), w);
      w += seen.offsets[u + 1] - seen.offsets[u];
    });
    return [ids, offsets];
  }

  private releaseTables(): void {
    this.index?.dispose();
    this.index = null;
    if (this.tables) {
      this.tables.users.dispose();
      this.tables.items.dispose();
      this.tables.bias?.dispose();
      this.tables = null;
    }
  }
}

/** Runs the native epoch loop on the tables (off the event loop); resolves with the mean loss per epoch. */
export function trainTables(
  t: Tables,
  seen: ReturnType<typeof toCsr>,
  c: Pick<BprConfig, 'epochs' | 'lr' | 'reg' | 'batch' | 'optimizer'>,
  seed: number,
  onEpoch?: (epoch: number, loss: number) => void,
  signal?: AbortSignal,
  fits?: FitTracker,
): Promise<Float64Array> {
  const options = { epochs: c.epochs, seed, lr: c.lr, reg: c.reg, batch: c.batch, optimizer: c.optimizer };
  const run = runCancellable(signal, (token) =>
    native().bprTrainAsync(
      t.users.nativeHandle, t.items.nativeHandle, t.bias?.nativeHandle,
      seen.offsets, seen.indices, seen.values, seen.rows, seen.cols,
      options, onEpoch, token,
    ) as Promise<{ losses: Float64Array; aborted: boolean }>,
    fits,
  );
  return run.then((r) => r.losses);
}

/**
 * One BPR update on explicit triples (user, positive, negative item indices) with the given optimizer;
 * returns the summed loss of the triples before the update. For custom training loops and tests.
 */
export function bprStep(
  t: { users: EmbeddingTable; items: EmbeddingTable; bias?: EmbeddingTable | null },
  u: Int32Array,
  i: Int32Array,
  j: Int32Array,
  options: { lr: number; reg?: number; optimizer?: 'sgd' | 'adagrad' | 'adam' },
): number {
  const o = requireObject(options, 'options');
  const cfg = { optimizer: o.optimizer ?? 'sgd', lr: finiteAtLeast0(o.lr, 'options.lr'), reg: o.reg === undefined ? 0.01 : finiteAtLeast0(o.reg, 'options.reg') };
  return native().bprStep(t.users.nativeHandle, t.items.nativeHandle, t.bias?.nativeHandle, u, i, j, cfg) as number;
}

function checkUsers(users: unknown, numUsers: number): asserts users is Int32Array {
  if (!(users instanceof Int32Array)) throw invalidArg('users must be an Int32Array of user indices');
  for (let j = 0; j < users.length; j++) {
    if (users[j] < 0 || users[j] >= numUsers) throw outOfRange(`users[${j}] = ${users[j]} is outside 0..${numUsers - 1}`);
  }
}
