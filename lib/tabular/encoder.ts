/**
 * TableEncoder: a whole table ⇄ the generator's data matrix (Float32Array, rows × width, row-major),
 * with the span layout the generator's output activations need (tanh for scalars, softmax for one-hot
 * spans) and the exact inverse. Policy for missing values: a categorical column keeps a `null` level
 * of its own; a continuous column with missing values is imputed with its mean and gets a 2-wide
 * [present, missing] one-hot span, so missingness is learned rather than crashing or being dropped.
 */
import { dimMismatch, invalidArg, outOfRange, reckitError } from '../errors';
import { uniform } from '../random';
import type { GmmOptions } from './gmm';
import { fitEncoderState } from './quality/async';
import type { CategoricalColumn, Column, ContinuousColumn, Table } from './table';
import {
  argmaxSpan,
  chooseMode,
  type ContinuousMethod,
  finiteStats,
  fitScaler,
  minMaxForward,
  minMaxInverse,
  modeInverse,
  modeOffset,
  type ScalerState,
  standardForward,
  standardInverse,
} from './transforms';

/**
 * A run of output columns with one activation. `role` says what the span encodes: a scalar `value`,
 * the `mode` one-hot of a mode-specific column, a `category` one-hot, or a `missing` flag one-hot.
 */
export interface Span {
  kind: 'tanh' | 'softmax' | 'linear';
  role: 'value' | 'mode' | 'category' | 'missing';
  start: number;
  width: number;
  column: string;
}

export interface ContinuousEncoding {
  name: string;
  kind: 'continuous';
  integer: boolean;
  /** The range seen in fit: generated values are clamped to it. */
  min: number;
  max: number;
  /** Imputation value for missing cells (the mean). */
  fill: number;
  hasMissing: boolean;
  scaler: ScalerState;
}

export interface CategoricalEncoding {
  name: string;
  kind: 'categorical';
  valueType: CategoricalColumn['valueType'];
  /** One-hot order; `null` is the missing level. */
  levels: (string | null)[];
  /** Rows per level in the fitted table (for training-by-sampling). */
  counts: number[];
}

export type ColumnEncoding = ContinuousEncoding | CategoricalEncoding;

/** A fitted encoder as plain JSON (kept in a model file's metadata). */
export interface EncoderState {
  version: 1;
  columns: ColumnEncoding[];
}

export interface EncoderOptions {
  /** Scaling of continuous columns: one method for all, or per column name (default 'mode'). */
  continuous?: ContinuousMethod | Record<string, ContinuousMethod>;
  /** Gaussian-mixture options for 'mode' columns (the seed also drives mode sampling). */
  gmm?: GmmOptions;
}

export interface TransformOptions {
  /**
   * How a value picks its mode in 'mode' columns: 'argmax' (deterministic) or 'sample' (drawn from
   * the posterior as CTGAN does for training, seeded).
   */
  modeSelection?: 'argmax' | 'sample';
  seed?: number;
}

/** A mode narrower than this share of the column's range is a point mass (see inverse's snapSpikes). */
export const SPIKE_RATIO = 1e-3;

const METHODS: readonly ContinuousMethod[] = ['mode', 'minmax', 'standard'];

function methodFor(options: EncoderOptions, name: string): ContinuousMethod {
  const c = options.continuous;
  const m = c === undefined ? 'mode' : typeof c === 'string' ? c : c[name] ?? 'mode';
  if (!METHODS.includes(m)) throw invalidArg(`continuous method for '${name}' must be one of ${METHODS.join(', ')}`);
  return m;
}

function fitContinuous(col: ContinuousColumn, method: ContinuousMethod, gmm: GmmOptions): ContinuousEncoding {
  const s = finiteStats(col.values);
  if (s.count === 0) throw invalidArg(`column '${col.name}' has no present values`);
  return {
    name: col.name,
    kind: 'continuous',
    integer: col.integer,
    min: s.min,
    max: s.max,
    fill: s.mean,
    hasMissing: s.count < col.values.length,
    scaler: fitScaler(method, col.values, gmm),
  };
}

function fitCategorical(col: CategoricalColumn): CategoricalEncoding {
  const index = new Map<string | null, number>();
  const counts: number[] = [];
  const levels: (string | null)[] = [];
  for (const v of col.values) {
    let i = index.get(v);
    if (i === undefined) {
      i = levels.length;
      index.set(v, i);
      levels.push(v);
      counts.push(0);
    }
    counts[i]++;
  }
  // The missing level goes last so the present levels keep their first-seen order.
  const nullAt = levels.indexOf(null);
  if (nullAt >= 0 && nullAt !== levels.length - 1) {
    const c = counts[nullAt];
    levels.splice(nullAt, 1);
    counts.splice(nullAt, 1);
    levels.push(null);
    counts.push(c);
  }
  if (levels.length === 0) throw invalidArg(`column '${col.name}' is empty`);
  return { name: col.name, kind: 'categorical', valueType: col.valueType, levels, counts };
}

function spansOf(columns: ColumnEncoding[]): Span[] {
  const spans: Span[] = [];
  let at = 0;
  const push = (kind: Span['kind'], role: Span['role'], width: number, column: string) => {
    spans.push({ kind, role, start: at, width, column });
    at += width;
  };
  for (const c of columns) {
    if (c.kind === 'categorical') push('softmax', 'category', c.levels.length, c.name);
    else {
      const s = c.scaler;
      push(s.method === 'standard' ? 'linear' : 'tanh', 'value', 1, c.name);
      if (s.method === 'mode') push('softmax', 'mode', s.gmm.means.length, c.name);
      if (c.hasMissing) push('softmax', 'missing', 2, c.name);
    }
  }
  return spans;
}

/** Maps tables to the generator's matrix and back. Build with {@link TableEncoder.fit} or fromJSON. */
export class TableEncoder {
  readonly columns: readonly ColumnEncoding[];
  readonly spans: readonly Span[];
  /** Values per encoded row. */
  readonly width: number;

  private constructor(state: EncoderState) {
    this.columns = state.columns;
    this.spans = spansOf(state.columns);
    const last = this.spans[this.spans.length - 1];
    this.width = last ? last.start + last.width : 0;
  }

  /** Fits every column's transform to `table`. */
  static fit(table: Table, options: EncoderOptions = {}): TableEncoder {
    if (!table || !Array.isArray(table.columns) || !Number.isInteger(table.rows)) throw invalidArg('table must be a Table');
    if (table.rows === 0) throw invalidArg('cannot fit an encoder to an empty table');
    const gmm = options.gmm ?? {};
    const columns = table.columns.map((c) => (c.kind === 'categorical' ? fitCategorical(c) : fitContinuous(c, methodFor(options, c.name), gmm)));
    return new TableEncoder({ version: 1, columns });
  }

  /** Like {@link TableEncoder.fit}, on a worker thread (one mixture per continuous column takes seconds on large tables). */
  static async fitAsync(table: Table, options: EncoderOptions = {}): Promise<TableEncoder> {
    if (!table || !Array.isArray(table.columns)) throw invalidArg('table must be a Table');
    if (table.rows === 0) throw invalidArg('cannot fit an encoder to an empty table');
    return TableEncoder.fromJSON(await fitEncoderState(table, options));
  }

  /** Restores an encoder from {@link TableEncoder.toJSON}'s output, checking its shape. */
  static fromJSON(state: unknown): TableEncoder {
    const s = state as EncoderState;
    if (!s || s.version !== 1 || !Array.isArray(s.columns) || s.columns.length === 0) {
      throw reckitError('ERR_RECKIT_CORRUPT_FILE', 'not a TableEncoder state (version 1)');
    }
    for (const c of s.columns) {
      const ok =
        c &&
        typeof c.name === 'string' &&
        (c.kind === 'categorical'
          ? Array.isArray(c.levels) && c.levels.length > 0 && Array.isArray(c.counts) && c.counts.length === c.levels.length
          : c.kind === 'continuous' &&
            c.scaler &&
            (c.scaler.method !== 'mode' ||
              (Array.isArray(c.scaler.gmm?.means) &&
                c.scaler.gmm.means.length > 0 &&
                c.scaler.gmm.stds?.length === c.scaler.gmm.means.length &&
                c.scaler.gmm.stds.every((x) => x > 0))));
      if (!ok) throw reckitError('ERR_RECKIT_CORRUPT_FILE', `TableEncoder state: column ${JSON.stringify(c?.name)} is malformed`);
    }
    return new TableEncoder(JSON.parse(JSON.stringify(s)) as EncoderState);
  }

  toJSON(): EncoderState {
    return JSON.parse(JSON.stringify({ version: 1, columns: this.columns })) as EncoderState;
  }

  /** The spans of one column, in layout order. */
  spansOf(column: string): Span[] {
    return this.spans.filter((s) => s.column === column);
  }

  /** Encodes `table` (same column names and kinds as the fitted one) into rows × width floats. */
  transform(table: Table, options: TransformOptions = {}): Float32Array {
    if (!table || !Array.isArray(table.columns) || !Number.isInteger(table.rows)) throw invalidArg('table must be a Table');
    const selection = options.modeSelection ?? 'argmax';
    if (selection !== 'argmax' && selection !== 'sample') throw invalidArg(`modeSelection must be 'argmax' or 'sample'`);
    const byName = new Map(table.columns.map((c) => [c.name, c]));
    const rows = table.rows;
    const out = new Float32Array(rows * this.width);
    const sample = selection === 'sample';
    this.columns.forEach((enc, ci) => {
      const col = byName.get(enc.name);
      if (!col) throw invalidArg(`the table has no column '${enc.name}'`);
      if (col.kind !== enc.kind) throw invalidArg(`column '${enc.name}' is ${col.kind}, the encoder was fitted on ${enc.kind}`);
      const spans = this.spansOf(enc.name);
      if (enc.kind === 'categorical') this.encodeCategorical(enc, col as CategoricalColumn, spans[0], out);
      else {
        const u = sample && enc.scaler.method === 'mode' ? uniform(rows, { seed: options.seed ?? 0, stream: ci }) : undefined;
        this.encodeContinuous(enc, col as ContinuousColumn, spans, out, u);
      }
    });
    return out;
  }

  private encodeCategorical(enc: CategoricalEncoding, col: CategoricalColumn, span: Span, out: Float32Array): void {
    const index = new Map(enc.levels.map((l, i) => [l, i]));
    for (let r = 0; r < col.values.length; r++) {
      const i = index.get(col.values[r]);
      if (i === undefined) {
        const what = col.values[r] === null ? 'a missing value' : JSON.stringify(col.values[r]);
        throw invalidArg(`column '${enc.name}' row ${r} holds ${what}, a level not seen in fit`);
      }
      out[r * this.width + span.start + i] = 1;
    }
  }

  private encodeContinuous(enc: ContinuousEncoding, col: ContinuousColumn, spans: Span[], out: Float32Array, u?: Float32Array): void {
    const s = enc.scaler;
    const [value, second] = spans;
    const missingSpan = spans.find((sp) => sp.role === 'missing');
    const scratch = s.method === 'mode' ? new Float64Array(s.gmm.means.length) : undefined;
    for (let r = 0; r < col.values.length; r++) {
      let x = col.values[r];
      const base = r * this.width;
      const absent = Number.isNaN(x);
      if (absent) {
        if (!missingSpan) throw invalidArg(`column '${enc.name}' row ${r} is missing, but the fitted column had no missing values`);
        x = enc.fill;
      }
      if (missingSpan) out[base + missingSpan.start + (absent ? 1 : 0)] = 1;
      if (s.method === 'minmax') out[base + value.start] = minMaxForward(s, x);
      else if (s.method === 'standard') out[base + value.start] = standardForward(s, x);
      else {
        const k = chooseMode(s, x, u ? u[r] : undefined, scratch);
        out[base + value.start] = modeOffset(s, x, k);
        out[base + second.start + k] = 1;
      }
    }
  }

  /**
   * Decodes rows × width values (generator output or encoded data) back into a table: one-hot spans by
   * argmax, scalars inverted, clamped to the fitted [min, max], rounded in integer columns.
   *
   * `snapSpikes` (for generator output) decodes every value of a spike mode — a mode narrower than
   * SPIKE_RATIO of the column's range, i.e. a point mass such as the zeros of a capital-gain column — as
   * the mode's mean: a generator cannot hit a width-1e-4 window with a tanh output, and a cloud of
   * near-zeros where the real column has exact zeros ruins its distribution. Off by default, so
   * inverse(transform(x)) stays exact.
   */
  inverse(data: Float32Array, rows?: number, options: { snapSpikes?: boolean } = {}): Table {
    const snap = options.snapSpikes === true;
    if (!(data instanceof Float32Array)) throw invalidArg('data must be a Float32Array');
    if (this.width === 0 || data.length % this.width !== 0) {
      throw dimMismatch(`data has ${data.length} values, not a multiple of the encoded width ${this.width}`);
    }
    const n = rows ?? data.length / this.width;
    if (n * this.width !== data.length) throw dimMismatch(`data holds ${data.length / this.width} rows, not ${n}`);
    // A diverged generator emits NaN/Inf: decoding them would silently turn into missing values or level 0.
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) throw outOfRange(`data[${i}] (row ${Math.floor(i / this.width)}) is ${data[i]}, not a finite value`);
    }
    const columns: Column[] = this.columns.map((enc) => {
      const spans = this.spansOf(enc.name);
      if (enc.kind === 'categorical') {
        const span = spans[0];
        const values = new Array<string | null>(n);
        for (let r = 0; r < n; r++) values[r] = enc.levels[argmaxSpan(data, r * this.width + span.start, span.width)];
        return { name: enc.name, kind: 'categorical', valueType: enc.valueType, values };
      }
      const s = enc.scaler;
      const [value, second] = spans;
      const missingSpan = spans.find((sp) => sp.role === 'missing');
      const values = new Float64Array(n);
      for (let r = 0; r < n; r++) {
        const base = r * this.width;
        if (missingSpan && argmaxSpan(data, base + missingSpan.start, 2) === 1) {
          values[r] = NaN;
          continue;
        }
        const y = data[base + value.start];
        let x: number;
        if (s.method === 'minmax') x = minMaxInverse(s, y);
        else if (s.method === 'standard') x = standardInverse(s, y);
        else {
          const k = argmaxSpan(data, base + second.start, second.width);
          x = snap && s.gmm.stds[k] <= SPIKE_RATIO * (enc.max - enc.min) ? s.gmm.means[k] : modeInverse(s, y, k);
        }
        if (enc.integer) x = Math.round(x);
        values[r] = Math.min(enc.max, Math.max(enc.min, x));
      }
      return { name: enc.name, kind: 'continuous', integer: enc.integer, values };
    });
    return { rows: n, columns };
  }
}
