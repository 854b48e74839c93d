/**
 * `reckit quality real.csv synthetic.csv [--target col] [--html report.html]`: scores a synthetic CSV
 * against the real one (SDMetrics-style Quality score, detection, optional ML efficacy) and prints it;
 * optionally writes a self-contained HTML report with a chart per column, and the report as JSON.
 */
import { parseArgs } from 'node:util';
import type { ReckitError } from '../errors';
import { checkTable, dropColumns } from '../tabular/checks';
import { parseCsv, readTextFile, writeFileAtomic } from '../tabular/csv';
import { qualityHtml } from '../tabular/quality/html';
import { qualityReport } from '../tabular/quality/report';
import { type Table, tableFromStrings, tableLike } from '../tabular/table';
import { CliError, type Command } from './command';

/** Exit codes (BSD sysexits): a data problem, a missing input, an output that cannot be written. */
export const EXIT_USAGE = 2;
export const EXIT_DATA = 65;
export const EXIT_NO_INPUT = 66;
export const EXIT_CANT_CREATE = 73;

/** Runs `fn`, turning reckit errors into CLI errors that name `what` and carry the right exit code. */
export function asCliError<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    const e = error as ReckitError;
    if (e && typeof e.code === 'string' && e.code.startsWith('ERR_RECKIT_')) {
      const exit = e.code === 'ERR_RECKIT_IO' ? EXIT_NO_INPUT : EXIT_DATA;
      throw new CliError(`${what}: ${e.message}`, exit);
    }
    throw error;
  }
}

/** Reads a CSV as a table; with `schema`, its columns (less `drop`) must match and take its kinds. */
export function readTable(path: string, schema?: Table, drop: string[] = []): Table {
  const text = asCliError(path, () => readTextFile(path));
  return asCliError(path, () => {
    const { header, records } = parseCsv(text);
    const keep = header.map((_, i) => i).filter((i) => !drop.includes(header[i]));
    const h = keep.map((i) => header[i]);
    const rows = keep.length === header.length ? records : records.map((r) => keep.map((i) => r[i]));
    return schema ? tableLike(schema, h, rows) : tableFromStrings(h, rows);
  });
}

function writeOutput(path: string, content: string): void {
  try {
    writeFileAtomic(path, content);
  } catch (error) {
    throw new CliError((error as Error).message, EXIT_CANT_CREATE);
  }
}

const pct = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '   –  ' : x.toFixed(3));

export const qualityCommand: Command = {
  name: 'quality',
  summary: 'score a synthetic CSV against the real one (column shapes, pair trends, detection, ML efficacy)',
  usage:
    'reckit quality real.csv synthetic.csv [--target COL] [--positive VALUE] [--test real-test.csv] [--html report.html] ' +
    '[--json report.json] [--drop COL,...] [--no-detection] [--seed N]\n\n' +
    '--test: real rows held out for ML efficacy (default: a seeded 30% of real.csv)\n' +
    'exit codes: 0 done, 2 bad options, 65 bad data (empty, ragged, header only, identifier-like or non-numeric\n' +
    'cells in a numeric column, columns that differ), 66 an input cannot be read, 73 an output cannot be written',
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        target: { type: 'string' },
        positive: { type: 'string' },
        html: { type: 'string' },
        test: { type: 'string' },
        json: { type: 'string' },
        drop: { type: 'string' },
        'no-detection': { type: 'boolean' },
        seed: { type: 'string' },
      },
    });
    if (positionals.length !== 2) throw new CliError(`expected two CSV files (real and synthetic), got ${positionals.length}\nusage: ${this.usage}`, EXIT_USAGE);
    const seed = values.seed === undefined ? 0 : Number(values.seed);
    if (!Number.isInteger(seed) || seed < 0) throw new CliError(`--seed must be a non-negative integer (got ${values.seed})`, EXIT_USAGE);
    const [realPath, synPath] = positionals;
    const drop = values.drop ? values.drop.split(',').map((s) => s.trim()).filter(Boolean) : [];

    let real = readTable(realPath);
    real = asCliError(realPath, () => dropColumns(real, drop));
    const synAligned = readTable(synPath, real, drop);
    const realTest = values.test === undefined ? undefined : readTable(values.test, real, drop);
    if (realTest && values.target === undefined) throw new CliError('--test needs --target (it is only used for ML efficacy)', EXIT_USAGE);
    const warnings = [
      ...asCliError(realPath, () => checkTable(real, 'the real data')).warnings,
      ...asCliError(synPath, () => checkTable(synAligned, 'the synthetic data')).warnings,
    ];
    for (const w of warnings) console.error(`reckit quality: warning: ${w}`);
    if (values.target !== undefined && !real.columns.some((c) => c.name === values.target)) {
      throw new CliError(`--target '${values.target}' is not a column (columns: ${real.columns.map((c) => c.name).join(', ')})`, EXIT_USAGE);
    }
    const report = asCliError('quality', () =>
      qualityReport(real, synAligned, { target: values.target, positive: values.positive, realTest, detection: !values['no-detection'], seed }),
    );

    console.log(`real ${realPath}: ${report.rows.real} rows · synthetic ${synPath}: ${report.rows.synthetic} rows · ${real.columns.length} columns`);
    console.log(`Quality score        ${pct(report.score)}`);
    console.log(`  Column Shapes      ${pct(report.columnShapes.score)}`);
    console.log(`  Column Pair Trends ${pct(report.columnPairTrends.score)}`);
    if (report.detection) console.log(`Detection            ${pct(report.detection.score)}  (AUC per fold ${report.detection.auc.map((a) => a.toFixed(3)).join(', ')})`);
    if (report.efficacy) {
      const e = report.efficacy;
      console.log(`ML efficacy F1       ${pct(e.tstrF1)} train synthetic → test real, ${pct(e.trtrF1)} train real → test real (${e.target} = ${e.positive}, ${e.testRows} test rows)`);
    }
    const width = Math.max(...report.columnShapes.columns.map((c) => c.column.length));
    for (const c of report.columnShapes.columns) console.log(`  ${c.column.padEnd(width)}  ${c.metric.padEnd(12)}  ${pct(c.score)}`);
    for (const n of report.notes) console.log(`note: ${n}`);
    if (values.json) writeOutput(values.json, `${JSON.stringify(report, (_k, v) => (typeof v === 'number' && Number.isNaN(v) ? null : v), 2)}\n`);
    if (values.html) {
      writeOutput(values.html, qualityHtml(report, real, synAligned, { title: `Quality: ${synPath} vs ${realPath}` }));
      console.log(`wrote ${values.html}`);
    }
    return 0;
  },
};
