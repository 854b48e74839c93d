/**
 * qualityReport: how close a synthetic table is to a real one, with the definitions SDMetrics
 * documents. Overall score = mean of Column Shapes and Column Pair Trends (each the mean of its
 * per-column / per-pair scores, undefined pairs left out). Detection and ML efficacy are reported
 * beside it, not inside it, as SDMetrics does.
 */
import { invalidArg } from '../../errors';
import { type Cell, type ColumnSpec, type Table, tableFromColumns, tableFromRows } from '../table';
import { type ColumnShape, columnShapes } from './column-shapes';
import { type DetectionResult, detectionScore } from './detection';
import { efficacy, type EfficacyResult } from './efficacy';
import { columnPairTrends, type PairTrend } from './pair-trends';

/** A table, an array of records, or `{ column: values[] }`. */
export type TableInput = Table | readonly Record<string, Cell>[] | Record<string, readonly Cell[]>;

export interface QualityOptions {
  /** A binary column to score ML efficacy on (TSTR vs TRTR F1). */
  target?: string;
  /** The target's positive class (default: the rarer real class). */
  positive?: string;
  /** Real rows held out for efficacy (default: a seeded 30% of `real`). */
  realTest?: TableInput;
  /** Run the detection metric (default true; it trains 3 classifiers). */
  detection?: boolean;
  seed?: number;
}

export interface QualityReport {
  /** Mean of columnShapes.score and columnPairTrends.score (SDMetrics' Quality Score). */
  score: number;
  columnShapes: { score: number; columns: ColumnShape[] };
  columnPairTrends: { score: number; pairs: PairTrend[] };
  detection?: DetectionResult;
  efficacy?: EfficacyResult;
  rows: { real: number; synthetic: number };
  /** Things the reader should know (constant columns, skipped pairs). */
  notes: string[];
}

function isTable(x: unknown): x is Table {
  return !!x && typeof x === 'object' && Array.isArray((x as Table).columns) && typeof (x as Table).rows === 'number';
}

function specsOf(schema: Table): Record<string, ColumnSpec> {
  const specs: Record<string, ColumnSpec> = {};
  for (const c of schema.columns) specs[c.name] = { kind: c.kind, integer: c.kind === 'continuous' ? c.integer : undefined };
  return specs;
}

/** Builds a table from any accepted input, with `schema`'s kinds when given. */
export function toTable(input: TableInput, name: string, schema?: Table): Table {
  if (isTable(input)) return input;
  const columns = schema ? specsOf(schema) : undefined;
  if (Array.isArray(input)) return tableFromRows(input as Record<string, Cell>[], { columns });
  if (input && typeof input === 'object') return tableFromColumns(input as Record<string, Cell[]>, { columns });
  throw invalidArg(`${name} must be a table, an array of records or an object of columns`);
}

/** `synthetic` with its columns in `real`'s order, checking names and kinds agree. */
export function alignTo(real: Table, synthetic: Table, name = 'synthetic'): Table {
  const missing = real.columns.filter((c) => !synthetic.columns.some((s) => s.name === c.name)).map((c) => c.name);
  const extra = synthetic.columns.filter((s) => !real.columns.some((c) => c.name === s.name)).map((c) => c.name);
  if (missing.length || extra.length) {
    throw invalidArg(`${name} columns differ from the real ones:${missing.length ? ` missing [${missing.join(', ')}]` : ''}${extra.length ? ` unexpected [${extra.join(', ')}]` : ''}`);
  }
  const columns = real.columns.map((c) => {
    const s = synthetic.columns.find((x) => x.name === c.name)!;
    if (s.kind !== c.kind) throw invalidArg(`column '${c.name}' is ${c.kind} in the real table but ${s.kind} in ${name}`);
    return s;
  });
  return { rows: synthetic.rows, columns };
}

function mean(xs: number[]): number {
  const ok = xs.filter((x) => !Number.isNaN(x));
  return ok.length ? ok.reduce((s, x) => s + x, 0) / ok.length : NaN;
}

function isConstant(c: Table['columns'][number]): boolean {
  if (c.kind === 'continuous') {
    let first: number | undefined;
    for (const v of c.values) {
      if (Number.isNaN(v)) continue;
      if (first === undefined) first = v;
      else if (v !== first) return false;
    }
    return true;
  }
  return new Set(c.values).size <= 1;
}

/** Scores `synthetic` against `real` (see the file comment for the definitions). */
export function qualityReport(realInput: TableInput, syntheticInput: TableInput, options: QualityOptions = {}): QualityReport {
  const real = toTable(realInput, 'real');
  const synthetic = alignTo(real, toTable(syntheticInput, 'synthetic', real));
  if (real.rows === 0 || synthetic.rows === 0) throw invalidArg('both tables need at least one row');
  const notes: string[] = [];
  for (const c of real.columns) {
    if (isConstant(c)) notes.push(`column '${c.name}' is constant in the real data: its correlations are undefined and left out`);
  }
  const shapes = columnShapes(real, synthetic);
  const pairs = columnPairTrends(real, synthetic);
  const undefinedPairs = pairs.filter((p) => Number.isNaN(p.score)).length;
  if (undefinedPairs) notes.push(`${undefinedPairs} column pair(s) have an undefined score and are left out of the average`);
  const shapesScore = mean(shapes.map((s) => s.score));
  const pairScore = mean(pairs.map((p) => p.score));
  const report: QualityReport = {
    score: Number.isNaN(pairScore) ? shapesScore : (shapesScore + pairScore) / 2,
    columnShapes: { score: shapesScore, columns: shapes },
    columnPairTrends: { score: pairScore, pairs },
    rows: { real: real.rows, synthetic: synthetic.rows },
    notes,
  };
  if (options.detection ?? true) report.detection = detectionScore(real, synthetic, { seed: options.seed });
  if (options.target !== undefined) {
    const realTest = options.realTest === undefined ? undefined : alignTo(real, toTable(options.realTest, 'realTest', real), 'realTest');
    report.efficacy = efficacy(real, synthetic, { target: options.target, positive: options.positive, realTest, seed: options.seed });
  }
  return report;
}
