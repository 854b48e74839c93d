/** A dependency-free horizontal bar chart in SVG, for bench reports a person can open. */
import * as fs from 'node:fs';

export interface Bar {
  label: string;
  value: number;
  /** Bars of the same group share a colour (e.g. 'reckit' vs peers). */
  group?: string;
}

const PALETTE = ['#2b6cb0', '#dd6b20', '#38a169', '#805ad5', '#d53f8c', '#718096', '#b7791f'];

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

export function barChartSvg(title: string, bars: Bar[], unit: string): string {
  const rowHeight = 22;
  const labelWidth = 330;
  const plotWidth = 420;
  const top = 40;
  const height = top + bars.length * rowHeight + 20;
  const max = Math.max(...bars.map((b) => b.value), 1e-12);
  const groups = [...new Set(bars.map((b) => b.group ?? ''))];
  const rows = bars.map((b, i) => {
    const y = top + i * rowHeight;
    const w = Math.max(1, (b.value / max) * plotWidth);
    const colour = PALETTE[groups.indexOf(b.group ?? '') % PALETTE.length];
    return (
      `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${escapeXml(b.label)}</text>` +
      `<rect x="${labelWidth}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowHeight - 6}" fill="${colour}"/>` +
      `<text x="${labelWidth + w + 6}" y="${y + 15}">${b.value.toPrecision(4)} ${escapeXml(unit)}</text>`
    );
  });
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + plotWidth + 140}" height="${height}" ` +
    `font-family="sans-serif" font-size="12">` +
    `<text x="10" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>${rows.join('')}</svg>\n`
  );
}

export function writeBarChartSvg(path: string, title: string, bars: Bar[], unit: string): void {
  fs.writeFileSync(path, barChartSvg(title, bars, unit));
}
