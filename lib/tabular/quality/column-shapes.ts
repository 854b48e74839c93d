/**
 * Column Shapes, as SDMetrics documents it: per column, how alike the real and synthetic marginal
 * distributions are. Continuous: KSComplement = 1 − the two-sample Kolmogorov–Smirnov statistic
 * (missing values dropped). Categorical: TVComplement = 1 − ½·Σ|R_ω − S_ω| over category frequencies
 * (missing is a category of its own). 1 is identical, 0 is disjoint.
 */
import type { Table } from '../table';

export interface ColumnShape {
  column: string;
  metric: 'KSComplement' | 'TVComplement';
  /** In [0, 1]; NaN when a side has no present values. */
  score: number;
}

function finiteSorted(values: ArrayLike<number>): Float64Array {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) out.push(values[i]);
  return Float64Array.from(out).sort();
}

/** The two-sample KS statistic: sup over x of |F_real(x) − F_synthetic(x)|. */
export function ksStatistic(real: ArrayLike<number>, synthetic: ArrayLike<number>): number {
  const a = finiteSorted(real);
  const b = finiteSorted(synthetic);
  if (a.length === 0 || b.length === 0) return NaN;
  let i = 0;
  let j = 0;
  let d = 0;
  // Walk the merged order; compare the CDFs only after consuming every copy of a tied value.
  while (i < a.length && j < b.length) {
    const x = Math.min(a[i], b[j]);
    while (i < a.length && a[i] === x) i++;
    while (j < b.length && b[j] === x) j++;
    d = Math.max(d, Math.abs(i / a.length - j / b.length));
  }
  return d;
}

export function ksComplement(real: ArrayLike<number>, synthetic: ArrayLike<number>): number {
  return 1 - ksStatistic(real, synthetic);
}

/** Relative frequency of each value (null included as its own category). */
export function frequencies<T>(values: readonly T[]): Map<T, number> {
  const counts = new Map<T, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  for (const [k, c] of counts) counts.set(k, c / values.length);
  return counts;
}

/** Total variation distance ½·Σ|p − q| between two frequency maps. */
export function totalVariation<T>(p: Map<T, number>, q: Map<T, number>): number {
  let sum = 0;
  for (const [k, v] of p) sum += Math.abs(v - (q.get(k) ?? 0));
  for (const [k, v] of q) if (!p.has(k)) sum += v;
  return sum / 2;
}

export function tvComplement<T>(real: readonly T[], synthetic: readonly T[]): number {
  if (real.length === 0 || synthetic.length === 0) return NaN;
  return 1 - totalVariation(frequencies(real), frequencies(synthetic));
}

/** Scores every column of `real` against the same-named column of `synthetic` (kinds must agree). */
export function columnShapes(real: Table, synthetic: Table): ColumnShape[] {
  return real.columns.map((rc, i) => {
    const sc = synthetic.columns[i];
    if (rc.kind === 'continuous' && sc.kind === 'continuous') {
      return { column: rc.name, metric: 'KSComplement', score: ksComplement(rc.values, sc.values) };
    }
    if (rc.kind === 'categorical' && sc.kind === 'categorical') {
      return { column: rc.name, metric: 'TVComplement', score: tvComplement(rc.values, sc.values) };
    }
    throw new Error(`column '${rc.name}': kinds differ between the tables`);
  });
}
