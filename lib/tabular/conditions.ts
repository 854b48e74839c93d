/**
 * Conditional vectors and training-by-sampling (CTGAN, Xu et al. 2019, §4.3), ready for the
 * TabularSynthesizer: the condition vector is the concatenation of one one-hot slot per categorical
 * column; a training draw picks a categorical column uniformly, a category with probability ∝
 * log(1 + count) (so rare categories are seen far more often than their frequency), and a real row
 * holding that category. `conditionFor({ column: value })` is the vector that `sample(n, { where })`
 * feeds the generator. Draws come from Philox (seed, stream), so a seed reproduces a batch.
 */
import { invalidArg } from '../errors';
import { uniform } from '../random';
import type { CategoricalEncoding, TableEncoder } from './encoder';
import type { Cell, Table } from './table';

/** Where a categorical column sits in the condition vector and in the encoded data row. */
export interface ConditionSpan {
  column: string;
  /** Offset in the condition vector. */
  start: number;
  width: number;
  /** Offset of the same one-hot in the encoded data row (TableEncoder layout). */
  dataStart: number;
  levels: (string | null)[];
}

export interface TrainingBatch {
  /** batch × width one-hots (exactly one 1 per row when width > 0). */
  conditions: Float32Array;
  /** The real row each draw uses (holds the chosen category). */
  rows: Int32Array;
  /** Index into `spans` of the conditioned column per draw (−1 when there is no categorical column). */
  spans: Int32Array;
  /** The chosen category's index within its span. */
  categories: Int32Array;
}

/** Picks index j of cumulative weights `cdf` (ascending, last = total) for u ∈ [0, 1). */
function pick(cdf: Float64Array, u: number): number {
  const target = u * cdf[cdf.length - 1];
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid] > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function cumulative(weights: number[]): Float64Array {
  const out = new Float64Array(weights.length);
  let acc = 0;
  weights.forEach((w, i) => {
    acc += w;
    out[i] = acc;
  });
  return out;
}

export class ConditionSampler {
  readonly spans: readonly ConditionSpan[];
  /** Values per condition vector. */
  readonly width: number;
  private readonly rowsByLevel: Int32Array[][];
  private readonly logCdf: Float64Array[];
  private readonly freqCdf: Float64Array[];
  private readonly rowCount: number;

  /** Indexes the rows of `table` (the table the encoder was fitted on, or any with the same levels). */
  constructor(encoder: TableEncoder, table: Table) {
    const spans: ConditionSpan[] = [];
    this.rowsByLevel = [];
    this.logCdf = [];
    this.freqCdf = [];
    let at = 0;
    for (const enc of encoder.columns) {
      if (enc.kind !== 'categorical') continue;
      const col = table.columns.find((c) => c.name === enc.name);
      if (!col || col.kind !== 'categorical') throw invalidArg(`the table has no categorical column '${enc.name}'`);
      const dataSpan = encoder.spansOf(enc.name)[0];
      spans.push({ column: enc.name, start: at, width: enc.levels.length, dataStart: dataSpan.start, levels: enc.levels.slice() });
      at += enc.levels.length;
      this.indexRows(enc, col.values);
    }
    this.spans = spans;
    this.width = at;
    this.rowCount = table.rows;
    if (table.rows === 0) throw invalidArg('cannot sample conditions from an empty table');
  }

  private indexRows(enc: CategoricalEncoding, values: (string | null)[]): void {
    const index = new Map(enc.levels.map((l, i) => [l, i]));
    const lists: number[][] = enc.levels.map(() => []);
    values.forEach((v, r) => {
      const i = index.get(v);
      if (i === undefined) throw invalidArg(`column '${enc.name}' row ${r} holds a level the encoder does not know`);
      lists[i].push(r);
    });
    this.rowsByLevel.push(lists.map((l) => Int32Array.from(l)));
    // Levels absent from this table get no weight: there is no real row to pair them with.
    this.logCdf.push(cumulative(lists.map((l) => (l.length ? Math.log1p(l.length) : 0))));
    this.freqCdf.push(cumulative(lists.map((l) => l.length)));
  }

  /** The probability a training draw conditions on each level of span `s` (log-frequency, CTGAN). */
  trainingProbabilities(s: number): number[] {
    const cdf = this.logCdf[s];
    const total = cdf[cdf.length - 1];
    return Array.from(cdf, (c, i) => (c - (i ? cdf[i - 1] : 0)) / total);
  }

  /** `batch` training draws: column uniform, category ∝ log(1 + count), a real row with that category. */
  sampleTraining(batch: number, seed: number, stream = 0): TrainingBatch {
    if (!Number.isInteger(batch) || batch < 1) throw invalidArg(`batch must be a positive integer (got ${batch})`);
    const u = uniform(3 * batch, { seed, stream });
    const conditions = new Float32Array(batch * this.width);
    const rows = new Int32Array(batch);
    const spans = new Int32Array(batch).fill(-1);
    const categories = new Int32Array(batch).fill(-1);
    for (let b = 0; b < batch; b++) {
      if (this.spans.length === 0) {
        rows[b] = Math.min(this.rowCount - 1, Math.floor(u[3 * b] * this.rowCount));
        continue;
      }
      const s = Math.min(this.spans.length - 1, Math.floor(u[3 * b] * this.spans.length));
      const k = pick(this.logCdf[s], u[3 * b + 1]);
      const members = this.rowsByLevel[s][k];
      spans[b] = s;
      categories[b] = k;
      rows[b] = members[Math.min(members.length - 1, Math.floor(u[3 * b + 2] * members.length))];
      conditions[b * this.width + this.spans[s].start + k] = 1;
    }
    return { conditions, rows, spans, categories };
  }

  /**
   * Conditions for generating without a `where`: column uniform, category by its real frequency (the
   * generator then reproduces the real marginals, as CTGAN samples).
   */
  sampleConditions(batch: number, seed: number, stream = 0): Float32Array {
    if (!Number.isInteger(batch) || batch < 1) throw invalidArg(`batch must be a positive integer (got ${batch})`);
    const out = new Float32Array(batch * this.width);
    if (this.spans.length === 0) return out;
    const u = uniform(2 * batch, { seed, stream });
    for (let b = 0; b < batch; b++) {
      const s = Math.min(this.spans.length - 1, Math.floor(u[2 * b] * this.spans.length));
      out[b * this.width + this.spans[s].start + pick(this.freqCdf[s], u[2 * b + 1])] = 1;
    }
    return out;
  }

  /** The condition vector for `{ column: value }` (one categorical column; null means its missing level). */
  conditionFor(where: Record<string, Cell>): Float32Array {
    if (where === null || typeof where !== 'object') throw invalidArg('where must be an object like { column: value }');
    const keys = Object.keys(where);
    if (keys.length !== 1) throw invalidArg(`where must name exactly one column (got ${keys.length})`);
    const [column] = keys;
    const span = this.spans.find((s) => s.column === column);
    if (!span) {
      throw invalidArg(`where: '${column}' is not a categorical column (conditionable: ${this.spans.map((s) => s.column).join(', ') || 'none'})`);
    }
    const raw = where[column];
    const value = raw === null || raw === undefined ? null : String(raw);
    const k = span.levels.indexOf(value);
    if (k < 0) throw invalidArg(`where: column '${column}' has no value ${JSON.stringify(raw)}`);
    const out = new Float32Array(this.width);
    out[span.start + k] = 1;
    return out;
  }
}
