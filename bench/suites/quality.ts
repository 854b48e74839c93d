/**
 * Suite `quality`: the tabular toolkit on UCI Adult (../shared/data/uci-adult, when present) — CSV read,
 * TableEncoder fit (mode-specific GMMs) and round trip, and the quality report of adult.test scored as
 * "synthetic" against adult.data (a real-vs-real sanity check: it should score high). The numpy peer
 * computes Column Shapes and Column Pair Trends with the same definitions in the same run, as a timing
 * peer and as an independent check of the values. An independent-columns baseline (each column shuffled)
 * checks the metrics against SDGym's published figures for that baseline.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readCsvTable, readTextFile } from '../../lib/tabular/csv';
import { TableEncoder } from '../../lib/tabular/encoder';
import { columnShapes } from '../../lib/tabular/quality/column-shapes';
import { columnPairTrends } from '../../lib/tabular/quality/pair-trends';
import { permutation } from '../../lib/tabular/quality/scores';
import { alignTo, qualityReport } from '../../lib/tabular/quality/report';
import { selectRows, type Table } from '../../lib/tabular/table';
import { type Measurement, runPython, type Suite, timeSync } from '../harness';

const ADULT_COLUMNS = [
  'age', 'workclass', 'fnlwgt', 'education', 'education-num', 'marital-status', 'occupation', 'relationship',
  'race', 'sex', 'capital-gain', 'capital-loss', 'hours-per-week', 'native-country', 'income',
];

/** The first existing ../shared/data/<name> above the working directory or this file. */
export function findSharedData(name: string): string | null {
  for (const start of [process.cwd(), __dirname]) {
    let dir = resolve(start);
    for (let i = 0; i < 6; i++) {
      const candidate = join(dir, '..', 'shared', 'data', name);
      if (existsSync(candidate)) return candidate;
      dir = resolve(dir, '..');
    }
  }
  return null;
}

/** UCI's raw files as headed CSV: no header in the originals, a "|1x3 Cross validator" line and "50K." labels in the test file. */
export function adultCsv(path: string): string {
  const lines = readTextFile(path)
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('|'))
    .map((l) => l.replace(/\.\s*$/, ''));
  return `${ADULT_COLUMNS.join(',')}\n${lines.join('\n')}\n`;
}

const NUMPY_PAIRS = `
import json, sys, time, numpy as np
d = json.load(open(PATH))
R, S, kinds = d['real'], d['synthetic'], d['kinds']
def ks(a, b):
    a = np.sort(np.asarray(a, float)); b = np.sort(np.asarray(b, float))
    a = a[~np.isnan(a)]; b = b[~np.isnan(b)]
    x = np.concatenate([a, b])
    return 1 - np.max(np.abs(np.searchsorted(a, x, 'right') / len(a) - np.searchsorted(b, x, 'right') / len(b)))
def codes(r, s):
    u, inv = np.unique(np.asarray([str(v) for v in r + s]), return_inverse=True)
    return inv[:len(r)], inv[len(r):], len(u)
def tv(r, s):
    a, b, k = codes(r, s)
    return 1 - 0.5 * np.abs(np.bincount(a, minlength=k) / len(a) - np.bincount(b, minlength=k) / len(b)).sum()
def binned(r, s):
    r = np.asarray(r, float); s = np.asarray(s, float)
    lo, hi = np.nanmin(r), np.nanmax(r); w = (hi - lo) / 10
    f = lambda v: np.where(np.isnan(v), 10, np.clip(np.floor((np.nan_to_num(v) - lo) / w), 0, 9)).astype(int)
    return f(r), f(s), 11
def cont(i, j):
    ri, si, ki = binned(R[i], S[i]) if kinds[i] == 'c' else codes(R[i], S[i])
    rj, sj, kj = binned(R[j], S[j]) if kinds[j] == 'c' else codes(R[j], S[j])
    pr = np.bincount(ri * kj + rj, minlength=ki * kj) / len(ri); ps = np.bincount(si * kj + sj, minlength=ki * kj) / len(si)
    return 1 - 0.5 * np.abs(pr - ps).sum()
def corr(i, j):
    def c(x, y):
        x = np.asarray(x, float); y = np.asarray(y, float); m = ~np.isnan(x) & ~np.isnan(y)
        return np.corrcoef(x[m], y[m])[0, 1]
    return 1 - abs(c(S[i], S[j]) - c(R[i], R[j])) / 2
t = time.perf_counter()
shapes = [ks(R[i], S[i]) if kinds[i] == 'c' else tv(R[i], S[i]) for i in range(len(kinds))]
pairs = [corr(i, j) if kinds[i] == kinds[j] == 'c' else cont(i, j) for i in range(len(kinds)) for j in range(i + 1, len(kinds))]
ms = (time.perf_counter() - t) * 1000
print(json.dumps({'ms': ms, 'shapes': float(np.mean(shapes)), 'pairs': float(np.nanmean(pairs))}))
`;

function asJsonColumns(t: Table): unknown[] {
  return t.columns.map((c) => (c.kind === 'continuous' ? Array.from(c.values, (v) => (Number.isNaN(v) ? null : v)) : c.values));
}

export const qualitySuite: Suite = {
  name: 'quality',
  description: 'tabular toolkit on UCI Adult: CSV read, encoder fit/round trip, quality report (adult.test vs adult.data)',
  async run(ctx) {
    const dir = findSharedData('uci-adult');
    if (!dir) {
      ctx.note('UCI Adult not found (../shared/data/uci-adult): suite skipped');
      return [];
    }
    const tmp = mkdtempSync(join(tmpdir(), 'reckit-bench-quality-'));
    const out: Measurement[] = [];
    try {
      writeFileSync(join(tmp, 'train.csv'), adultCsv(join(dir, 'adult.data')));
      writeFileSync(join(tmp, 'test.csv'), adultCsv(join(dir, 'adult.test')));
      const runs = { minRuns: 1, minSeconds: 0, warmup: 0 };
      let real!: Table;
      const read = timeSync(() => {
        real = readCsvTable(join(tmp, 'train.csv'));
      }, runs);
      let synthetic = alignTo(real, readCsvTable(join(tmp, 'test.csv')));
      out.push({ case: `adult: read CSV (${real.rows} × ${real.columns.length})`, impl: 'reckit', threads: 1, value: read.medianMs, unit: 'ms', better: 'lower' });
      if (ctx.quick) {
        real = selectRows(real, Int32Array.from({ length: 4000 }, (_, i) => i));
        synthetic = selectRows(synthetic, Int32Array.from({ length: 2000 }, (_, i) => i));
      }
      const n = `${real.rows} × ${real.columns.length}`;
      let encoder!: TableEncoder;
      const fit = timeSync(() => {
        encoder = TableEncoder.fit(real, { gmm: { seed: 0 } });
      }, runs);
      out.push({ case: `adult: TableEncoder.fit, mode-specific (${n})`, impl: 'reckit', threads: 1, value: fit.medianMs, unit: 'ms', better: 'lower', extra: { width: encoder.width } });
      const trip = timeSync(() => encoder.inverse(encoder.transform(real)), { minRuns: 3, minSeconds: 0, warmup: 1 });
      out.push({ case: `adult: transform + inverse (${n} → ${encoder.width} wide)`, impl: 'reckit', threads: 1, value: trip.medianMs, unit: 'ms', better: 'lower' });

      const sp = timeSync(() => {
        columnShapes(real, synthetic);
        columnPairTrends(real, synthetic);
      }, { minRuns: 3, minSeconds: 0, warmup: 1 });
      const caseSp = `adult: Column Shapes + Pair Trends (${real.rows} vs ${synthetic.rows} rows)`;
      out.push({ case: caseSp, impl: 'reckit', threads: 1, value: sp.medianMs, unit: 'ms', better: 'lower' });
      const report = qualityReport(real, synthetic, { target: 'income' });
      const full = timeSync(() => qualityReport(real, synthetic, { target: 'income' }), runs);
      out.push({ case: 'adult: full qualityReport (+ detection, efficacy)', impl: 'reckit', threads: 1, value: full.medianMs, unit: 'ms', better: 'lower' });
      const fig = (name: string, value: number) => out.push({ case: `adult.test vs adult.data: ${name}`, impl: 'reckit', threads: 1, value, unit: 'score', better: 'higher' });
      fig('Quality score', report.score);
      fig('Column Shapes', report.columnShapes.score);
      fig('Column Pair Trends', report.columnPairTrends.score);
      fig('detection', report.detection!.score);
      fig('TSTR F1 (income >50K, logistic)', report.efficacy!.tstrF1);
      fig('TRTR F1 (income >50K, logistic)', report.efficacy!.trtrF1);

      // The independent-columns baseline SDGym reports (Quality ≈ 0.83–0.89, TSTR F1 ≈ 0.15): every column of
      // adult.data shuffled on its own, efficacy tested on adult.test. A check that our metrics reproduce it.
      const independent: Table = {
        rows: real.rows,
        columns: real.columns.map((c, i) => selectRows({ rows: real.rows, columns: [c] }, permutation(real.rows, 1, i)).columns[0]),
      };
      const base = qualityReport(real, independent, { target: 'income', realTest: synthetic });
      const figBase = (name: string, value: number) => out.push({ case: `independent columns vs adult.data: ${name}`, impl: 'reckit', threads: 1, value, unit: 'score', better: 'higher' });
      figBase('Quality score', base.score);
      figBase('Column Pair Trends', base.columnPairTrends.score);
      figBase('detection', base.detection!.score);
      figBase('TSTR F1 (tested on adult.test)', base.efficacy!.tstrF1);
      figBase('TRTR F1 (tested on adult.test)', base.efficacy!.trtrF1);

      const kinds = real.columns.map((c) => (c.kind === 'continuous' ? 'c' : 'd'));
      const payload = join(tmp, 'tables.json');
      writeFileSync(payload, JSON.stringify({ real: asJsonColumns(real), synthetic: asJsonColumns(synthetic), kinds }));
      const py = await runPython(NUMPY_PAIRS.replace('PATH', JSON.stringify(payload)));
      if (!py.ok) ctx.note(`numpy peer skipped: ${py.reason}`);
      else {
        out.push({ case: caseSp, impl: 'numpy (same definitions)', threads: 1, value: py.value.ms, unit: 'ms', better: 'lower' });
        const dShapes = Math.abs(py.value.shapes - report.columnShapes.score);
        const dPairs = Math.abs(py.value.pairs - report.columnPairTrends.score);
        ctx.note(`numpy cross-check: Column Shapes ${py.value.shapes.toFixed(6)} (|Δ| ${dShapes.toExponential(1)}), Pair Trends ${py.value.pairs.toFixed(6)} (|Δ| ${dPairs.toExponential(1)})`);
      }
      ctx.note('SDMetrics itself is a PyPI package and cannot be installed here; the numpy peer re-implements its definitions');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    return out;
  },
};
