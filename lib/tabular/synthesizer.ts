/**
 * TabularSynthesizer: learns a table of numbers and categories and generates more rows like it, as
 * CTGAN describes (Xu et al. 2019), on reckit's own pieces: the TableEncoder (mode-specific
 * normalization, one-hot categories, the missing-value policy), a Gan whose generator ends in per-span
 * activations (tanh scalars, Gumbel-softmax one-hots), a conditional vector with training-by-sampling
 * (ConditionSampler) plus the conditional cross-entropy loss, and optional PacGAN packing.
 * `sample(n, { where })` conditions the generator on one category and keeps only rows that hold it.
 */
import { invalidArg, outOfRange, reckitError } from '../errors';
import { Gan, resolveDevice, type ConditionLink, type OutputSpan } from '../gan';
import type { Device } from '../random';
import { uniform } from '../random';
import { readSafetensors, writeSafetensors } from '../safetensors';
import { abortError } from '../training';
import { checkTable } from './checks';
import { ConditionSampler } from './conditions';
import { TableEncoder, type CategoricalEncoding, type EncoderState } from './encoder';
import { type Cell, type ColumnSpec, type Table, tableFromColumns, tableFromRows, tableToRows } from './table';
import type { ContinuousMethod } from './transforms';

export interface SynthesizerOptions {
  /** Per-column overrides of the inferred kind (and integrality), by name. */
  columns?: Record<string, ColumnSpec>;
  /**
   * Passes over the data (default 80). One epoch draws as many conditioned rows as the table has. CTGAN
   * trains 300 epochs at lr 2e-4 with a WGAN-GP loss; with our non-saturating loss at lr 5e-4 on UCI Adult,
   * 80 epochs (seeds 0–3) gave Quality 0.90–0.91, detection 0.61–0.64, TSTR F1 0.58–0.64 in ≈ 80 CPU s
   * (≈ 1 CPU s per epoch: ≈ 42 s on 2 idle cores); 150 epochs 0.91 / 0.65 took ≈ 80 s (README table).
   * For a wall-clock budget instead, see fit's `maxSeconds`.
   */
  epochs?: number;
  /** Rows per step (default 500; rounded down to a multiple of pac). */
  batchSize?: number;
  /** PacGAN packing: the discriminator judges this many rows at once (default 10, CTGAN's). */
  pac?: number;
  noiseDim?: number;
  /** Hidden widths (default [256, 256] each). */
  generator?: number[];
  discriminator?: number[];
  /** Adam learning rate of both networks (default 5e-4). */
  lr?: number;
  /** Discriminator updates per generator update (default 1). */
  dSteps?: number;
  /** Gumbel-softmax temperature of one-hot outputs (default 0.2). */
  tau?: number;
  /** Weight of the conditional cross-entropy in the generator's loss (default 1). */
  conditionLossWeight?: number;
  /** Scaling of continuous columns (default 'mode': mode-specific normalization). */
  continuous?: ContinuousMethod;
  /** Most Gaussian modes per continuous column (default 10). */
  maxModes?: number;
  /** Condition on categorical columns with training-by-sampling (default true). */
  conditional?: boolean;
  seed?: number;
  /**
   * Where the Gan trains (default `auto`: CUDA when usable, else the CPU); `cuda` throws ERR_RECKIT_NO_DEVICE
   * with the reason where CUDA is not usable. See GanOptions.device. Not saved with the model.
   */
  device?: Device;
}

export interface SynthesizerProgress {
  epoch: number;
  epochs: number;
  dLoss: number;
  gLoss: number;
  conditionLoss: number;
  elapsedMs: number;
  /** Estimated time to the last epoch, from the mean epoch time so far. */
  etaMs: number;
}

export interface SynthesizerFitOptions {
  onProgress?: (progress: SynthesizerProgress) => void;
  /** Stops at the next step; fit rejects with an AbortError. */
  signal?: AbortSignal;
  /**
   * A time budget in seconds, counted from the start of fit (the column transforms included): training
   * stops after the first whole epoch that ends past it, and fit resolves with the epochs run (at least
   * one), leaving a usable model. Wall time, so the epoch count depends on the machine and its load.
   */
  maxSeconds?: number;
}

export interface SynthesizerSampleOptions {
  /** Only rows with this value of one categorical column: `{ column: value }`. */
  where?: Record<string, Cell>;
  /** Same seed, same rows (also after save/load). Default: fresh rows on every call. */
  seed?: number;
}

export type SynthesizerInput = readonly Record<string, Cell>[] | Record<string, readonly Cell[]> | Table;

type Resolved = Required<Omit<SynthesizerOptions, 'columns' | 'device'>> & { columns: Record<string, ColumnSpec> };

/** What a saved file holds besides the Gan (JSON in the safetensors metadata). */
interface SavedState {
  version: 1;
  options: Resolved;
  encoder: EncoderState;
  /** Column order of the input table. */
  names: string[];
  rows: number;
}

const STATE_KEY = 'reckit.synthesizer';
const CHECKSUM_KEY = 'reckit.xxh64';
/** Generation rounds a `where` may take before giving up (each generates the shortfall, doubled). */
const WHERE_ROUNDS = 20;

function positiveInt(value: unknown, name: string, max = 2 ** 30): number {
  if (typeof value !== 'number') throw invalidArg(`${name} must be a number (got ${typeof value})`);
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > max) {
    throw outOfRange(`${name} must be an integer between 1 and ${max} (got ${String(value)})`);
  }
  return value as number;
}

function seedArg(value: unknown, name: string): number {
  if (typeof value !== 'number') throw invalidArg(`${name} must be a number (got ${typeof value})`);
  if (!Number.isSafeInteger(value) || (value as number) < 0) throw outOfRange(`${name} must be a non-negative safe integer (got ${String(value)})`);
  return value as number;
}

function widths(value: unknown, name: string, fallback: number[]): number[] {
  if (value === undefined) return fallback;
  if (!Array.isArray(value)) throw invalidArg(`${name} must be an array of layer widths`);
  return value.map((w, i) => positiveInt(w, `${name}[${i}]`, 2 ** 16));
}

function resolve(options: SynthesizerOptions): Resolved {
  if (options === null || typeof options !== 'object') throw invalidArg('options must be an object');
  const o = options;
  const num = (v: unknown, name: string, fallback: number, ok: (x: number) => boolean): number => {
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw outOfRange(`${name} is out of range (got ${String(v)})`);
    return v;
  };
  const continuous = o.continuous ?? 'mode';
  if (!['mode', 'minmax', 'standard'].includes(continuous)) throw invalidArg(`continuous must be 'mode', 'minmax' or 'standard'`);
  return {
    columns: o.columns ?? {},
    epochs: o.epochs === undefined ? 80 : positiveInt(o.epochs, 'epochs'),
    batchSize: o.batchSize === undefined ? 500 : positiveInt(o.batchSize, 'batchSize'),
    pac: o.pac === undefined ? 10 : positiveInt(o.pac, 'pac', 64),
    noiseDim: o.noiseDim === undefined ? 128 : positiveInt(o.noiseDim, 'noiseDim', 2 ** 16),
    generator: widths(o.generator, 'generator', [256, 256]),
    discriminator: widths(o.discriminator, 'discriminator', [256, 256]),
    lr: num(o.lr, 'lr', 5e-4, (x) => x > 0),
    dSteps: o.dSteps === undefined ? 1 : positiveInt(o.dSteps, 'dSteps', 1000),
    tau: num(o.tau, 'tau', 0.2, (x) => x > 0 && x <= 100),
    conditionLossWeight: num(o.conditionLossWeight, 'conditionLossWeight', 1, (x) => x >= 0),
    continuous,
    maxModes: o.maxModes === undefined ? 10 : positiveInt(o.maxModes, 'maxModes', 64),
    conditional: o.conditional ?? true,
    seed: o.seed === undefined ? 0 : seedArg(o.seed, 'seed'),
  };
}

function toTable(data: SynthesizerInput, columns: Record<string, ColumnSpec>): Table {
  if (Array.isArray(data)) return tableFromRows(data as Record<string, Cell>[], { columns });
  const t = data as Table;
  if (t && Array.isArray(t.columns) && Number.isInteger(t.rows)) return t;
  if (data && typeof data === 'object') return tableFromColumns(data as Record<string, Cell[]>, { columns });
  throw invalidArg('data must be an array of row objects, an object of column arrays, or a Table');
}

/** A 64-bit seed for round `k` of a call seeded with `seed` (distinct Philox keys per round). */
function roundSeed(seed: number, k: number): bigint {
  return (BigInt(seed) * 0x9e3779b97f4a7c15n + BigInt(k) * 0xbf58476d1ce4e5b9n + 1n) & 0xffffffffffffffffn;
}

export class TabularSynthesizer {
  private options: Resolved;
  private gan?: Gan;
  private encoder?: TableEncoder;
  private names: string[] = [];
  private trainedRows = 0;
  private sampleCalls = 0;
  /** Condition-vector layout (categorical columns of the encoder, in order) and frequency CDFs. */
  private condition: { column: string; start: number; width: number; dataStart: number; levels: (string | null)[]; cdf: Float64Array }[] = [];
  private conditionWidth = 0;
  private disposed = false;
  /** The Gan of the fit in flight (dispose() stops it). */
  private training?: Gan;

  /** Where fit trains the Gan: `cuda` or `cpu` (the `device` option with `auto` resolved). */
  readonly device: 'cpu' | 'cuda';

  constructor(options: SynthesizerOptions = {}) {
    this.options = resolve(options);
    this.device = resolveDevice(options.device, 'options.device');
  }

  /** True once fit (or load) has run. */
  get fitted(): boolean {
    return this.gan !== undefined;
  }

  /** Column names, kinds and encodings the model learned. */
  describe(): { columns: { name: string; kind: string; integer?: boolean; levels?: (string | null)[]; modes?: number }[]; width: number; rows: number; epochs: number } {
    const enc = this.requireFitted();
    return {
      columns: enc.columns.map((c) =>
        c.kind === 'categorical'
          ? { name: c.name, kind: c.kind, levels: c.levels.slice() }
          : { name: c.name, kind: c.kind, integer: c.integer, modes: c.scaler.method === 'mode' ? c.scaler.gmm.means.length : undefined },
      ),
      width: enc.width,
      rows: this.trainedRows,
      epochs: this.gan!.epochs,
    };
  }

  /**
   * Learns `data` (rows, columns or a Table) off the event loop: the column transforms on a worker
   * thread, then `epochs` natively trained epochs (fewer when `maxSeconds` runs out). Resolves with the
   * epochs run.
   */
  async fit(data: SynthesizerInput, options: SynthesizerFitOptions = {}): Promise<{ epochs: number }> {
    if (this.disposed) throw disposedError();
    const o = this.options;
    const table = toTable(data, o.columns);
    if (table.rows < 2) throw invalidArg(`the table has ${table.rows} rows; at least 2 are needed to learn from`);
    checkTable(table, 'the training data');
    if (options === null || typeof options !== 'object') throw invalidArg('options must be an object');
    const { onProgress, signal, maxSeconds } = options;
    if (onProgress !== undefined && typeof onProgress !== 'function') throw invalidArg('onProgress must be a function');
    if (maxSeconds !== undefined) {
      if (typeof maxSeconds !== 'number') throw invalidArg(`maxSeconds must be a number (got ${typeof maxSeconds})`);
      if (!(maxSeconds > 0) || !Number.isFinite(maxSeconds)) throw outOfRange(`maxSeconds must be a finite number > 0 (got ${String(maxSeconds)})`);
    }
    const started = performance.now();
    const budgetMs = maxSeconds === undefined ? Infinity : maxSeconds * 1000;
    if (signal?.aborted) throw abortError(signal);

    const encoder = await TableEncoder.fitAsync(table, { continuous: o.continuous, gmm: { maxModes: o.maxModes, seed: o.seed } });
    if (this.disposed) throw disposedError();
    if (signal?.aborted) throw abortError(signal);
    // CTGAN draws each value's mode from its posterior once, so the generator sees mode overlap.
    const encoded = encoder.transform(table, { modeSelection: 'sample', seed: o.seed });
    const sampler = o.conditional ? new ConditionSampler(encoder, table) : undefined;
    const conditionDim = sampler?.width ?? 0;
    const pac = table.rows >= o.pac ? o.pac : 1;
    const batch = Math.max(pac, Math.floor(Math.min(o.batchSize, table.rows) / pac) * pac);

    const outputSpans: OutputSpan[] = encoder.spans.map((s) => ({ kind: s.kind === 'softmax' ? 'gumbel' : s.kind, width: s.width }));
    const conditionLinks: ConditionLink[] = (sampler?.spans ?? []).map((s) => ({ conditionStart: s.start, dataStart: s.dataStart, width: s.width }));
    const gan = new Gan({
      dataDim: encoder.width,
      noiseDim: o.noiseDim,
      conditionDim,
      generator: o.generator.map((units) => ({ units, activation: 'relu' as const })),
      discriminator: o.discriminator.map((units) => ({ units, activation: 'leaky_relu' as const, alpha: 0.2 })),
      outputSpans,
      tau: o.tau,
      conditionLinks,
      conditionLossWeight: o.conditionLossWeight,
      pac,
      seed: o.seed,
      device: this.device,
    });

    const width = encoder.width;
    const epochData = conditionDim ? new Float32Array(table.rows * width) : encoded;
    const trainingStarted = performance.now();
    let epochsRun = 0;
    this.training = gan;
    try {
      for (let epoch = 0; epoch < o.epochs; epoch++) {
        let conditions: Float32Array | undefined;
        if (sampler && conditionDim) {
          // Training-by-sampling: each draw picks a column, a category ∝ log(1 + count) and a real row holding it.
          const draws = sampler.sampleTraining(table.rows, o.seed, 0x7000_0000 + epoch);
          for (let r = 0; r < table.rows; r++) epochData.set(encoded.subarray(draws.rows[r] * width, (draws.rows[r] + 1) * width), r * width);
          conditions = draws.conditions;
        }
        let last = { dLoss: NaN, gLoss: NaN, conditionLoss: NaN };
        await gan.fit(epochData, { epochs: 1, batchSize: batch, lr: o.lr, dSteps: o.dSteps, conditions, signal, onProgress: (p) => (last = p) });
        epochsRun = epoch + 1;
        const now = performance.now();
        const outOfTime = now - started >= budgetMs;
        if (onProgress) {
          const elapsedMs = now - started;
          const byEpochs = ((now - trainingStarted) / epochsRun) * (o.epochs - epochsRun);
          const etaMs = outOfTime ? 0 : Math.min(byEpochs, budgetMs - elapsedMs);
          onProgress({ epoch, epochs: o.epochs, ...pickLosses(last), elapsedMs, etaMs });
        }
        if (outOfTime) break;
      }
      if (this.disposed) throw disposedError();  // dispose() between the last epoch and here
    } catch (error) {
      gan.dispose();
      // dispose() stopped the Gan (its fit says "this Gan was disposed"): answer for the synthesizer.
      throw this.disposed ? disposedError() : error;
    } finally {
      this.training = undefined;
    }
    this.gan?.dispose();
    this.gan = gan;
    this.encoder = encoder;
    this.names = table.columns.map((c) => c.name);
    this.trainedRows = table.rows;
    this.sampleCalls = 0;
    this.indexConditions();
    return { epochs: epochsRun };
  }

  /** `n` synthetic rows as records (numbers, strings, booleans; null for missing). */
  async sample(n: number, options: SynthesizerSampleOptions = {}): Promise<Record<string, string | number | boolean | null>[]> {
    return tableToRows(await this.sampleTable(n, options));
  }

  /** `n` synthetic rows as a Table (the columns in the order fit saw them). */
  async sampleTable(n: number, options: SynthesizerSampleOptions = {}): Promise<Table> {
    const encoder = this.requireFitted();
    const count = positiveInt(n, 'n', 2 ** 31 - 1);
    if (options === null || typeof options !== 'object') throw invalidArg('options must be an object');
    const seed = options.seed === undefined ? undefined : seedArg(options.seed, 'options.seed');
    const base = seed ?? this.options.seed + 0x100000 + this.sampleCalls++;
    if (options.where === undefined) return this.generate(count, base, 0);

    const { condition, column, value } = this.whereCondition(options.where);
    const parts: Table[] = [];
    let have = 0;
    for (let round = 0; round < WHERE_ROUNDS && have < count; round++) {
      const want = Math.min(2 ** 31 - 1, Math.max(64, 2 * (count - have)));
      const table = await this.generate(want, base, round, condition);
      const col = table.columns.find((c) => c.name === column)!;
      const keep: number[] = [];
      for (let r = 0; r < table.rows && have + keep.length < count; r++) {
        if ((col.kind === 'categorical' ? col.values[r] : null) === value) keep.push(r);
      }
      parts.push(pick(table, keep));
      have += keep.length;
    }
    if (have < count) {
      throw reckitError(
        'ERR_RECKIT_OUT_OF_RANGE',
        `where ${column} = ${JSON.stringify(value)}: the generator produced only ${have} of ${count} such rows in ${WHERE_ROUNDS} rounds; train longer`,
      );
    }
    return concat(parts);
  }

  /** Saves the model (Gan weights and optimizer state, encoder, options) as one safetensors file. */
  save(path: string): void {
    if (typeof path !== 'string') throw invalidArg('path must be a string');
    const { tensors, metadata } = this.image();
    writeSafetensors(path, tensors, metadata);
  }

  toBuffer(): Buffer {
    const { tensors, metadata } = this.image();
    return writeSafetensors(null, tensors, metadata);
  }

  static load(path: string): TabularSynthesizer {
    if (typeof path !== 'string') throw invalidArg('path must be a string');
    return TabularSynthesizer.fromImage(readSafetensors(path));
  }

  static fromBuffer(buffer: Uint8Array): TabularSynthesizer {
    if (!(buffer instanceof Uint8Array)) throw invalidArg('buffer must be a Buffer or Uint8Array');
    return TabularSynthesizer.fromImage(readSafetensors(buffer));
  }

  /**
   * Releases the native model. A fit in flight stops at its next step and rejects with ERR_RECKIT_DISPOSED;
   * every later call (fit, sample, save, describe) throws ERR_RECKIT_DISPOSED.
   */
  dispose(): void {
    this.disposed = true;
    this.training?.dispose();
    this.gan?.dispose();
    this.gan = undefined;
    this.encoder = undefined;
  }

  private requireFitted(): TableEncoder {
    if (this.disposed) throw disposedError();
    if (!this.gan || !this.encoder) throw invalidArg('the synthesizer is not fitted: call fit() or load() first');
    return this.encoder;
  }

  private image(): ReturnType<typeof readSafetensors> {
    const encoder = this.requireFitted();
    const content = readSafetensors(this.gan!.toBuffer());
    const state: SavedState = { version: 1, options: this.options, encoder: encoder.toJSON(), names: this.names, rows: this.trainedRows };
    const metadata: Record<string, string> = { ...content.metadata, [STATE_KEY]: JSON.stringify(state) };
    delete metadata[CHECKSUM_KEY];
    return { tensors: content.tensors, metadata };
  }

  private static fromImage(content: ReturnType<typeof readSafetensors>): TabularSynthesizer {
    const text = content.metadata[STATE_KEY];
    if (text === undefined) throw reckitError('ERR_RECKIT_CORRUPT_FILE', 'the file holds no TabularSynthesizer (no reckit.synthesizer metadata)');
    let state: SavedState;
    try {
      state = JSON.parse(text) as SavedState;
    } catch {
      throw reckitError('ERR_RECKIT_CORRUPT_FILE', 'the TabularSynthesizer metadata is not valid JSON');
    }
    if (!state || state.version !== 1 || !state.options || !Array.isArray(state.names)) {
      throw reckitError('ERR_RECKIT_CORRUPT_FILE', 'the TabularSynthesizer metadata is malformed');
    }
    const encoder = TableEncoder.fromJSON(state.encoder);
    const metadata = { ...content.metadata };
    delete metadata[STATE_KEY];
    delete metadata[CHECKSUM_KEY];
    const gan = Gan.fromBuffer(writeSafetensors(null, content.tensors, metadata));
    if (gan.dataDim !== encoder.width) {
      gan.dispose();
      throw reckitError('ERR_RECKIT_CORRUPT_FILE', `the Gan emits ${gan.dataDim} values per row, the encoder expects ${encoder.width}`);
    }
    const s = new TabularSynthesizer();
    s.options = resolve(state.options);
    s.gan = gan;
    s.encoder = encoder;
    s.names = state.names;
    s.trainedRows = state.rows;
    s.indexConditions();
    if (gan.conditionDim !== s.conditionWidth) {
      s.dispose();
      throw reckitError('ERR_RECKIT_CORRUPT_FILE', `the Gan takes ${gan.conditionDim} condition values, the encoder implies ${s.conditionWidth}`);
    }
    return s;
  }

  /** The condition layout: one slot per level of each categorical column (when conditional). */
  private indexConditions(): void {
    this.condition = [];
    let at = 0;
    if (this.options.conditional) {
      for (const c of this.encoder!.columns) {
        if (c.kind !== 'categorical') continue;
        const enc = c as CategoricalEncoding;
        const cdf = new Float64Array(enc.counts.length);
        let acc = 0;
        enc.counts.forEach((k, i) => (cdf[i] = acc += k));
        this.condition.push({ column: c.name, start: at, width: enc.levels.length, dataStart: this.encoder!.spansOf(c.name)[0].start, levels: enc.levels, cdf });
        at += enc.levels.length;
      }
    }
    this.conditionWidth = at;
  }

  private whereCondition(where: Record<string, Cell>): { condition: Float32Array; column: string; value: string | null } {
    if (where === null || typeof where !== 'object') throw invalidArg('where must be an object like { column: value }');
    const keys = Object.keys(where);
    if (keys.length !== 1) throw invalidArg(`where must name exactly one column (got ${keys.length})`);
    const column = keys[0];
    const span = this.condition.find((s) => s.column === column);
    if (!span) {
      const names = this.condition.map((s) => s.column).join(', ') || 'none';
      throw invalidArg(`where: '${column}' is not a categorical column of a conditional model (conditionable: ${names})`);
    }
    const raw = where[column];
    const value = raw === null || raw === undefined ? null : String(raw);
    const k = span.levels.indexOf(value);
    if (k < 0) throw invalidArg(`where: column '${column}' has no value ${JSON.stringify(raw)} (values: ${span.levels.map((l) => JSON.stringify(l)).join(', ')})`);
    const condition = new Float32Array(this.conditionWidth);
    condition[span.start + k] = 1;
    return { condition, column, value };
  }

  /**
   * `n` decoded rows from Philox key roundSeed(base, round). Without a fixed condition, each row's
   * condition picks a categorical column uniformly and a level by its real frequency (so the
   * conditioned columns keep their marginals, as CTGAN samples).
   */
  private async generate(n: number, base: number, round: number, fixed?: Float32Array): Promise<Table> {
    // Taken before the await: dispose() during a sample must not leave this call without its encoder.
    const gan = this.gan;
    const encoder = this.encoder;
    if (!gan || !encoder) throw reckitError('ERR_RECKIT_DISPOSED', 'the synthesizer was disposed while sampling');
    const seed = roundSeed(base, round);
    let condition: Float32Array | undefined = fixed;
    if (!fixed && this.conditionWidth > 0) {
      condition = new Float32Array(n * this.conditionWidth);
      const u = uniform(2 * n, { seed, stream: 0x5a });
      for (let r = 0; r < n; r++) {
        const s = this.condition[Math.min(this.condition.length - 1, Math.floor(u[2 * r] * this.condition.length))];
        const target = u[2 * r + 1] * s.cdf[s.cdf.length - 1];
        let k = 0;
        while (k < s.cdf.length - 1 && s.cdf[k] <= target) k++;
        condition[r * this.conditionWidth + s.start + k] = 1;
      }
    }
    const out = await gan.sampleAsync(n, { condition, seed });
    return encoder.inverse(out, n, { snapSpikes: true });
  }
}

function pickLosses(p: { dLoss: number; gLoss: number; conditionLoss: number }): { dLoss: number; gLoss: number; conditionLoss: number } {
  return { dLoss: p.dLoss, gLoss: p.gLoss, conditionLoss: p.conditionLoss };
}

function pick(table: Table, rows: number[]): Table {
  return {
    rows: rows.length,
    columns: table.columns.map((c) =>
      c.kind === 'continuous'
        ? { ...c, values: Float64Array.from(rows, (r) => c.values[r]) }
        : { ...c, values: rows.map((r) => c.values[r]) },
    ),
  };
}

function concat(parts: Table[]): Table {
  const rows = parts.reduce((a, t) => a + t.rows, 0);
  return {
    rows,
    columns: parts[0].columns.map((c, i) => {
      if (c.kind === 'continuous') {
        const values = new Float64Array(rows);
        let at = 0;
        for (const t of parts) {
          const v = (t.columns[i] as typeof c).values;
          values.set(v, at);
          at += v.length;
        }
        return { ...c, values };
      }
      return { ...c, values: parts.flatMap((t) => (t.columns[i] as typeof c).values) };
    }),
  };
}

function disposedError(): Error {
  return reckitError('ERR_RECKIT_DISPOSED', 'this TabularSynthesizer was disposed');
}
