/**
 * The quality report as one self-contained HTML page a person can open: the scores, then one inline
 * SVG chart per column (continuous: real vs synthetic histograms on shared bins; categorical: bar
 * pairs for the most frequent levels), a pair-trends heatmap and the weakest pairs. No scripts, no
 * external assets.
 */
import type { Column, Table } from '../table';
import type { QualityReport } from './report';

const BINS = 30;
const MAX_LEVELS = 20;
const W = 560;
const H = 250;
const PAD = { left: 44, right: 40, top: 10, bottom: 84 };
const REAL = '#1f77b4';
const SYN = '#ff7f0e';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function fmt(x: number | undefined, digits = 3): string {
  return x === undefined || Number.isNaN(x) ? '–' : x.toFixed(digits);
}

function finiteRange(a: Float64Array, b: Float64Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const arr of [a, b]) {
    for (const v of arr) {
      if (Number.isNaN(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return [lo, hi];
}

/** Shares per bin (missing values left out), for the two sides on the same edges. */
function histogram(values: Float64Array, lo: number, hi: number): number[] {
  const counts = new Array<number>(BINS).fill(0);
  let n = 0;
  const width = (hi - lo) / BINS;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    const b = width > 0 ? Math.min(BINS - 1, Math.max(0, Math.floor((v - lo) / width))) : 0;
    counts[b]++;
    n++;
  }
  return counts.map((c) => (n ? c / n : 0));
}

function label(v: string | null): string {
  return v === null ? '(missing)' : v;
}

/** Level shares for the most frequent real levels, the rest pooled as "(other)". */
function bars(real: (string | null)[], synthetic: (string | null)[]): { labels: string[]; r: number[]; s: number[] } {
  const count = (vals: (string | null)[]) => {
    const m = new Map<string | null, number>();
    for (const v of vals) m.set(v, (m.get(v) ?? 0) + 1);
    return m;
  };
  const rc = count(real);
  const sc = count(synthetic);
  const levels = [...new Set([...rc.keys(), ...sc.keys()])].sort((a, b) => (rc.get(b) ?? 0) - (rc.get(a) ?? 0) || (sc.get(b) ?? 0) - (sc.get(a) ?? 0));
  const shown = levels.slice(0, MAX_LEVELS);
  const rest = levels.slice(MAX_LEVELS);
  const labels = shown.map(label);
  const r = shown.map((l) => (rc.get(l) ?? 0) / real.length);
  const s = shown.map((l) => (sc.get(l) ?? 0) / synthetic.length);
  if (rest.length) {
    labels.push(`(other ${rest.length})`);
    r.push(rest.reduce((acc, l) => acc + (rc.get(l) ?? 0), 0) / real.length);
    s.push(rest.reduce((acc, l) => acc + (sc.get(l) ?? 0), 0) / synthetic.length);
  }
  return { labels, r, s };
}

/** Paired bars (real, synthetic) per slot; `ticks` label the x axis. */
function barChart(title: string, r: number[], s: number[], ticks: string[], rotate: boolean): string {
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const top = Math.max(1e-12, ...r, ...s);
  const slot = plotW / r.length;
  const bw = Math.max(1, slot * 0.42);
  const y = (v: number) => PAD.top + plotH - (v / top) * plotH;
  const parts: string[] = [];
  parts.push(`<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(title)}">`);
  parts.push(`<line x1="${PAD.left}" y1="${PAD.top + plotH}" x2="${W - PAD.right}" y2="${PAD.top + plotH}" stroke="#444"/>`);
  for (const f of [0, 0.5, 1]) {
    const yy = y(top * f);
    parts.push(`<text x="${PAD.left - 4}" y="${yy + 4}" font-size="10" text-anchor="end">${(top * f * 100).toFixed(1)}%</text>`);
  }
  r.forEach((rv, i) => {
    const x0 = PAD.left + i * slot + slot * 0.08;
    parts.push(`<rect x="${x0.toFixed(1)}" y="${y(rv).toFixed(1)}" width="${bw.toFixed(1)}" height="${(PAD.top + plotH - y(rv)).toFixed(1)}" fill="${REAL}"><title>real ${escapeHtml(ticks[i])}: ${(rv * 100).toFixed(2)}%</title></rect>`);
    parts.push(`<rect x="${(x0 + bw).toFixed(1)}" y="${y(s[i]).toFixed(1)}" width="${bw.toFixed(1)}" height="${(PAD.top + plotH - y(s[i])).toFixed(1)}" fill="${SYN}"><title>synthetic ${escapeHtml(ticks[i])}: ${(s[i] * 100).toFixed(2)}%</title></rect>`);
  });
  const every = Math.max(1, Math.ceil(ticks.length / (rotate ? 24 : 6)));
  ticks.forEach((t, i) => {
    if (i % every !== 0) return;
    const x = PAD.left + (i + 0.5) * slot;
    const text = escapeHtml(t.length > 16 ? `${t.slice(0, 15)}…` : t);
    parts.push(
      rotate
        ? `<text font-size="10" transform="translate(${x.toFixed(1)},${PAD.top + plotH + 8}) rotate(40)">${text}</text>`
        : `<text x="${x.toFixed(1)}" y="${PAD.top + plotH + 14}" font-size="10" text-anchor="middle">${text}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

/** One chart for one column: histogram (continuous) or bar pairs (categorical). */
export function columnChart(real: Column, synthetic: Column): string {
  if (real.kind === 'continuous' && synthetic.kind === 'continuous') {
    const [lo, hi] = finiteRange(real.values, synthetic.values);
    if (!Number.isFinite(lo)) return '<p>(no present values)</p>';
    const width = (hi - lo) / BINS;
    const ticks = Array.from({ length: BINS }, (_, i) => (lo + (i + 0.5) * width).toPrecision(4));
    return barChart(real.name, histogram(real.values, lo, hi), histogram(synthetic.values, lo, hi), ticks, false);
  }
  if (real.kind === 'categorical' && synthetic.kind === 'categorical') {
    const b = bars(real.values, synthetic.values);
    return barChart(real.name, b.r, b.s, b.labels, true);
  }
  throw new Error(`column '${real.name}': kinds differ between the tables`);
}

/** Red (0) → yellow → green (1) for a score. */
function scoreColour(score: number): string {
  if (Number.isNaN(score)) return '#ddd';
  const t = Math.max(0, Math.min(1, score));
  const r = t < 0.5 ? 220 : Math.round(220 - (t - 0.5) * 2 * 180);
  const g = t < 0.5 ? Math.round(60 + t * 2 * 160) : 220 - Math.round((t - 0.5) * 2 * 60);
  return `rgb(${r},${g},70)`;
}

/** The Column Pair Trends matrix as a heatmap: one cell per pair, coloured by its score. */
export function pairHeatmap(names: string[], pairs: QualityReport['columnPairTrends']['pairs']): string {
  const n = names.length;
  const cell = Math.max(14, Math.min(34, Math.floor(520 / Math.max(1, n))));
  const left = 130;
  const top = 120;
  const size = left + n * cell + 50;
  const index = new Map(names.map((c, i) => [c, i]));
  const parts = [`<svg class="heatmap" xmlns="http://www.w3.org/2000/svg" width="${size}" height="${top + n * cell + 10}" role="img" aria-label="Column Pair Trends">`];
  names.forEach((name, i) => {
    const text = escapeHtml(name.length > 18 ? `${name.slice(0, 17)}…` : name);
    parts.push(`<text x="${left - 4}" y="${top + i * cell + cell / 2 + 4}" font-size="10" text-anchor="end">${text}</text>`);
    parts.push(`<text font-size="10" transform="translate(${left + i * cell + cell / 2 + 3},${top - 4}) rotate(-60)">${text}</text>`);
  });
  for (const p of pairs) {
    const i = index.get(p.columns[0]);
    const j = index.get(p.columns[1]);
    if (i === undefined || j === undefined) continue;
    for (const [a, b] of [[i, j], [j, i]]) {
      parts.push(`<rect x="${left + b * cell}" y="${top + a * cell}" width="${cell - 1}" height="${cell - 1}" fill="${scoreColour(p.score)}"><title>${escapeHtml(p.columns.join(' × '))}: ${p.metric} ${fmt(p.score)}</title></rect>`);
    }
  }
  parts.push('</svg>');
  return parts.join('');
}

export interface HtmlOptions {
  title?: string;
  /** Pairs listed in the "weakest pairs" table (default 15). */
  pairs?: number;
}

/** The whole page. `real` and `synthetic` must be the tables the report was computed on (aligned). */
export function qualityHtml(report: QualityReport, real: Table, synthetic: Table, options: HtmlOptions = {}): string {
  const title = options.title ?? 'Synthetic data quality report';
  const shapeRows = report.columnShapes.columns
    .map((c) => `<tr><td>${escapeHtml(c.column)}</td><td>${c.metric}</td><td>${fmt(c.score)}</td></tr>`)
    .join('');
  const weakest = [...report.columnPairTrends.pairs]
    .filter((p) => !Number.isNaN(p.score))
    .sort((a, b) => a.score - b.score)
    .slice(0, options.pairs ?? 15)
    .map((p) => `<tr><td>${escapeHtml(p.columns[0])} × ${escapeHtml(p.columns[1])}</td><td>${p.metric}</td><td>${fmt(p.score)}</td><td>${fmt(p.real)}</td><td>${fmt(p.synthetic)}</td></tr>`)
    .join('');
  const summary = [
    ['Quality score (mean of the two below)', fmt(report.score)],
    ['Column Shapes', fmt(report.columnShapes.score)],
    ['Column Pair Trends', fmt(report.columnPairTrends.score)],
    ...(report.detection ? [['Detection (1 − (2·max(AUC, 0.5) − 1), logistic regression, 3 folds)', fmt(report.detection.score)]] : []),
    ...(report.efficacy
      ? [
          [`ML efficacy F1, train synthetic → test real (target ${report.efficacy.target} = ${report.efficacy.positive})`, fmt(report.efficacy.tstrF1)],
          ['ML efficacy F1, train real → test real', fmt(report.efficacy.trtrF1)],
        ]
      : []),
  ]
    .map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td><b>${v}</b></td></tr>`)
    .join('');
  const charts = real.columns
    .map((c, i) => {
      const shape = report.columnShapes.columns[i];
      return `<section class="column"><h3>${escapeHtml(c.name)} <small>${c.kind} · ${shape.metric} ${fmt(shape.score)}</small></h3>${columnChart(c, synthetic.columns[i])}</section>`;
    })
    .join('\n');
  const notes = report.notes.length ? `<ul>${report.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
.columns{display:flex;flex-wrap:wrap;gap:1em}.column{border:1px solid #eee;padding:.5em}
h3{margin:.2em 0;font-size:1em}small{color:#666;font-weight:normal}
.key span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p>${report.rows.real} real rows, ${report.rows.synthetic} synthetic rows. Definitions as documented by SDMetrics (KS/TV complement, correlation and contingency similarity).</p>
<table>${summary}</table>
${notes}
<h2>Column shapes</h2>
<p class="key"><span style="background:${REAL}"></span>real<span style="background:${SYN}"></span>synthetic</p>
<div class="columns">
${charts}
</div>
<table><tr><th>column</th><th>metric</th><th>score</th></tr>${shapeRows}</table>
<h2>Column pair trends</h2>
<p>Each cell scores one pair (green 1: the pair behaves as in the real data; red 0: not at all; grey: undefined).</p>
${pairHeatmap(real.columns.map((c) => c.name), report.columnPairTrends.pairs)}
<h2>Weakest column pairs</h2>
<table><tr><th>pair</th><th>metric</th><th>score</th><th>real corr.</th><th>synthetic corr.</th></tr>${weakest}</table>
</body></html>
`;
}
