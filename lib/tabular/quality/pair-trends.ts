/**
 * Column Pair Trends, as SDMetrics documents it: for every pair of columns, how alike the real and
 * synthetic joint behaviour is. Two continuous columns: CorrelationSimilarity = 1 − |S − R| / 2 with
 * Pearson correlations (rows where both are present). Any pair with a categorical column:
 * ContingencySimilarity = 1 − ½·Σ_{α,β}|R_{α,β} − S_{α,β}| over the normalized contingency table, a
 * continuous column first cut into 10 equal-width bins over the real range (synthetic values clipped
 * into it; missing values are a bin of their own).
 */
import type { Column, Table } from '../table';

export const PAIR_BINS = 10;

export interface PairTrend {
  columns: [string, string];
  metric: 'CorrelationSimilarity' | 'ContingencySimilarity';
  /** In [0, 1]; NaN when undefined (a constant column has no correlation), and then left out of averages. */
  score: number;
  /** The two correlations (CorrelationSimilarity only). */
  real?: number;
  synthetic?: number;
}

/** Pearson correlation over the rows where both values are present; NaN when either side is constant. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let n = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(x[i]) || Number.isNaN(y[i])) continue;
    n++;
    sx += x[i];
    sy += y[i];
  }
  if (n < 2) return NaN;
  const mx = sx / n;
  const my = sy / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(x[i]) || Number.isNaN(y[i])) continue;
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return NaN;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

export function correlationSimilarity(realX: ArrayLike<number>, realY: ArrayLike<number>, synX: ArrayLike<number>, synY: ArrayLike<number>) {
  const r = pearson(realX, realY);
  const s = pearson(synX, synY);
  return { score: 1 - Math.abs(s - r) / 2, real: r, synthetic: s };
}

/** Bin edges of the real values: PAIR_BINS equal-width bins over [min, max]. */
export function binRange(values: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/** Bin labels for a continuous column on the real column's range ('nan' for missing). */
export function discretize(values: ArrayLike<number>, range: { min: number; max: number }): string[] {
  const out = new Array<string>(values.length);
  const width = (range.max - range.min) / PAIR_BINS;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) out[i] = 'nan';
    else if (!(width > 0)) out[i] = '0';
    else out[i] = String(Math.min(PAIR_BINS - 1, Math.max(0, Math.floor((v - range.min) / width))));
  }
  return out;
}

/** 1 − total variation distance between the two normalized contingency tables of (a, b). */
export function contingencySimilarity(realA: readonly unknown[], realB: readonly unknown[], synA: readonly unknown[], synB: readonly unknown[]): number {
  const [ra, sa, na] = codes(realA, synA);
  const [rb, sb, nb] = codes(realB, synB);
  return contingencyOfCodes({ real: ra, synthetic: sa, levels: na }, { real: rb, synthetic: sb, levels: nb });
}

/** A column pair's cells as small integer codes shared by both tables (so a pair is one array index). */
interface Coded {
  real: Int32Array;
  synthetic: Int32Array;
  levels: number;
}

function codes(real: readonly unknown[], synthetic: readonly unknown[]): [Int32Array, Int32Array, number] {
  const index = new Map<unknown, number>();
  const code = (v: unknown) => {
    let c = index.get(v);
    if (c === undefined) {
      c = index.size;
      index.set(v, c);
    }
    return c;
  };
  const r = Int32Array.from(real, code);
  const s = Int32Array.from(synthetic, code);
  return [r, s, index.size];
}

function contingencyOfCodes(a: Coded, b: Coded): number {
  const nr = a.real.length;
  const ns = a.synthetic.length;
  if (nr === 0 || ns === 0) return NaN;
  const cells = a.levels * b.levels;
  const diff = new Float64Array(cells);
  for (let i = 0; i < nr; i++) diff[a.real[i] * b.levels + b.real[i]] += 1 / nr;
  for (let i = 0; i < ns; i++) diff[a.synthetic[i] * b.levels + b.synthetic[i]] -= 1 / ns;
  let sum = 0;
  for (let c = 0; c < cells; c++) sum += Math.abs(diff[c]);
  return 1 - sum / 2;
}

function categoricalView(real: Column, synthetic: Column): Coded {
  let r: readonly unknown[];
  let s: readonly unknown[];
  if (real.kind === 'categorical' && synthetic.kind === 'categorical') [r, s] = [real.values, synthetic.values];
  else if (real.kind === 'continuous' && synthetic.kind === 'continuous') {
    const range = binRange(real.values);
    [r, s] = [discretize(real.values, range), discretize(synthetic.values, range)];
  } else throw new Error(`column '${real.name}': kinds differ between the tables`);
  const [rc, sc, levels] = codes(r, s);
  return { real: rc, synthetic: sc, levels };
}

/** Scores every pair of columns (i < j) of `real` against the same pair in `synthetic`. */
export function columnPairTrends(real: Table, synthetic: Table): PairTrend[] {
  const out: PairTrend[] = [];
  const views = real.columns.map((c, i) => (c.kind === 'categorical' ? categoricalView(c, synthetic.columns[i]) : null));
  const lazy = (i: number) => views[i] ?? (views[i] = categoricalView(real.columns[i], synthetic.columns[i]));
  for (let i = 0; i < real.columns.length; i++) {
    for (let j = i + 1; j < real.columns.length; j++) {
      const a = real.columns[i];
      const b = real.columns[j];
      const sa = synthetic.columns[i];
      const sb = synthetic.columns[j];
      const columns: [string, string] = [a.name, b.name];
      if (a.kind === 'continuous' && b.kind === 'continuous' && sa.kind === 'continuous' && sb.kind === 'continuous') {
        out.push({ columns, metric: 'CorrelationSimilarity', ...correlationSimilarity(a.values, b.values, sa.values, sb.values) });
      } else {
        out.push({ columns, metric: 'ContingencySimilarity', score: contingencyOfCodes(lazy(i), lazy(j)) });
      }
    }
  }
  return out;
}
