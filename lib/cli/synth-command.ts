/**
 * `reckit synth data.csv --rows N --out synthetic.csv [--epochs E] [--where col=value] [--model m.safetensors]`:
 * trains a TabularSynthesizer on a CSV (or loads one with --load) and writes N synthetic rows as CSV,
 * with a progress bar (epoch, losses, ETA) on a terminal. Every input is checked before training
 * starts, so a bad --where or an unwritable --out fails in a second rather than after the fit.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkTable, dropColumns } from '../tabular/checks';
import { formatCsv, writeFileAtomic } from '../tabular/csv';
import { TabularSynthesizer, type SynthesizerOptions } from '../tabular/synthesizer';
import type { Table } from '../tabular/table';
import { CliError, type Command } from './command';
import { info } from '../info';
import { ProgressBar } from './progress';
import { EXIT_CANT_CREATE, EXIT_DATA, EXIT_NO_INPUT, EXIT_USAGE, asCliError, readTable } from './quality-command';

/** More rows than this is a typo, not a request (10^8 rows of a wide table would not fit in memory). */
const MAX_ROWS = 100_000_000;

function integerOption(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new CliError(`--${name} must be an integer between ${min} and ${max} (got ${value})`, EXIT_USAGE);
  }
  return n;
}

/** A positive number of seconds (a time budget). */
function secondsOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new CliError(`--${name} must be a number of seconds > 0 (got ${value})`, EXIT_USAGE);
  return n;
}

function parseWhere(text: string | undefined): { column: string; value: string } | undefined {
  if (text === undefined) return undefined;
  const eq = text.indexOf('=');
  if (eq <= 0) throw new CliError(`--where must be COLUMN=VALUE (got ${text})`, EXIT_USAGE);
  return { column: text.slice(0, eq), value: text.slice(eq + 1) };
}

/** Fails before any work when the output's directory is missing or the path is a directory. */
function checkWritable(path: string, flag: string): void {
  const dir = dirname(resolve(path));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliError(`${flag} ${path}: the directory ${dir} does not exist`, EXIT_CANT_CREATE);
  if (existsSync(path) && statSync(path).isDirectory()) throw new CliError(`${flag} ${path} is a directory`, EXIT_CANT_CREATE);
}

function write(path: string, content: string | Uint8Array): void {
  try {
    writeFileAtomic(path, content);
  } catch (error) {
    throw new CliError((error as Error).message, EXIT_CANT_CREATE);
  }
}

const seconds = (ms: number) => (ms >= 100_000 ? `${Math.round(ms / 1000)}s` : `${(ms / 1000).toFixed(1)}s`);

export const synthCommand: Command = {
  name: 'synth',
  summary: 'train a TabularSynthesizer on a CSV and write synthetic rows (CTGAN-style GAN)',
  usage:
    'reckit synth data.csv --rows N --out synthetic.csv [--epochs E] [--where COL=VALUE] [--model m.safetensors]\n' +
    '       [--load m.safetensors] [--batch-size B] [--pac P] [--max-seconds S] [--drop COL,...] [--seed N]\n' +
    '       [--device auto|cpu|cuda]\n\n' +
    '--model: save the trained model there; --load: sample from a saved model instead of training (data.csv\n' +
    'is then optional). --where keeps only rows with that value of a categorical column (rebalancing a rare class).\n' +
    '--max-seconds: a training time budget; training stops after the first whole epoch that ends past it.\n' +
    '--device: where the GAN trains (default auto: CUDA when usable, else the CPU; cuda where CUDA is not usable is\n' +
    'an error naming the reason).\n' +
    'exit codes: 0 done, 2 bad options, 65 bad data (empty, ragged, header only, identifier-like or non-numeric\n' +
    'cells in a numeric column), 66 an input cannot be read, 73 an output cannot be written',
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        rows: { type: 'string' },
        out: { type: 'string' },
        epochs: { type: 'string' },
        where: { type: 'string' },
        model: { type: 'string' },
        load: { type: 'string' },
        'batch-size': { type: 'string' },
        pac: { type: 'string' },
        'max-seconds': { type: 'string' },
        drop: { type: 'string' },
        seed: { type: 'string' },
        device: { type: 'string' },
      },
    });
    const load = values.load;
    if (positionals.length > 1 || (positionals.length === 0 && load === undefined)) {
      throw new CliError(`expected one CSV file to learn from (or --load), got ${positionals.length}\nusage: ${this.usage}`, EXIT_USAGE);
    }
    if (load !== undefined && positionals.length === 1) throw new CliError('give either data.csv (to train) or --load, not both', EXIT_USAGE);
    const rows = integerOption(values.rows, 'rows', 1, MAX_ROWS);
    if (rows === undefined) throw new CliError('--rows N is required', EXIT_USAGE);
    if (values.out === undefined) throw new CliError('--out synthetic.csv is required', EXIT_USAGE);
    const options: SynthesizerOptions = {
      epochs: integerOption(values.epochs, 'epochs', 1, 1_000_000),
      batchSize: integerOption(values['batch-size'], 'batch-size', 1, 1_000_000),
      pac: integerOption(values.pac, 'pac', 1, 64),
      seed: integerOption(values.seed, 'seed', 0, 2 ** 52),
    };
    if (values.device !== undefined) {
      if (!['auto', 'cpu', 'cuda'].includes(values.device)) throw new CliError(`--device must be auto, cpu or cuda (got ${values.device})`, EXIT_USAGE);
      const cuda = info().cuda;
      if (values.device === 'cuda' && !cuda.available) throw new CliError(`--device cuda: CUDA is not available: ${cuda.reason}`, EXIT_USAGE);
      options.device = values.device as SynthesizerOptions['device'];
    }
    const maxSeconds = secondsOption(values['max-seconds'], 'max-seconds');
    const where = parseWhere(values.where);
    checkWritable(values.out, '--out');
    if (values.model !== undefined) checkWritable(values.model, '--model');

    let model: TabularSynthesizer;
    if (load !== undefined) {
      if (!existsSync(load)) throw new CliError(`${load}: no such file`, EXIT_NO_INPUT);
      model = asCliError(load, () => TabularSynthesizer.load(load));
    } else {
      const path = positionals[0];
      const drop = values.drop ? values.drop.split(',').map((s) => s.trim()).filter(Boolean) : [];
      let table: Table = readTable(path);
      table = asCliError(path, () => dropColumns(table, drop));
      for (const w of asCliError(path, () => checkTable(table, path)).warnings) console.error(`reckit synth: warning: ${w}`);
      if (where) checkWhere(table, where);
      model = asCliError('options', () => new TabularSynthesizer(Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined))));
      const bar = new ProgressBar('training');
      const started = Date.now();
      let epochs = 0;
      try {
        ({ epochs } = await model.fit(table, {
          maxSeconds,
          onProgress: (p) => {
            bar.update(p.epoch + 1, p.epochs, `epoch ${p.epoch + 1}/${p.epochs} D ${p.dLoss.toFixed(3)} G ${p.gLoss.toFixed(3)} cond ${p.conditionLoss.toFixed(3)} ETA ${seconds(p.etaMs)}`);
          },
        }));
      } catch (error) {
        bar.done();
        return asCliError(path, () => {
          throw error;
        });
      }
      bar.done();
      console.log(`trained ${epochs} epochs on ${table.rows} rows × ${table.columns.length} columns in ${seconds(Date.now() - started)}`);
      if (values.model !== undefined) {
        write(values.model, model.toBuffer());
        console.log(`wrote model ${values.model}`);
      }
    }
    const whereArg = where ? { [where.column]: where.value } : undefined;
    const synthetic = await (async () => {
      try {
        return await model.sampleTable(rows, { where: whereArg, seed: options.seed });
      } catch (error) {
        const e = error as Error & { code?: string };
        if (e.code === 'ERR_RECKIT_INVALID_ARG') throw new CliError(e.message, EXIT_USAGE);
        if (e.code?.startsWith('ERR_RECKIT_')) throw new CliError(e.message, EXIT_DATA);
        throw error;
      }
    })();
    write(values.out, formatCsv(synthetic));
    console.log(`wrote ${synthetic.rows} rows to ${values.out}${where ? ` (${where.column} = ${where.value})` : ''}`);
    model.dispose();
    return 0;
  },
};

/** --where must name a categorical column and one of its values (checked before training). */
function checkWhere(table: Table, where: { column: string; value: string }): void {
  const col = table.columns.find((c) => c.name === where.column);
  if (!col) throw new CliError(`--where: no column '${where.column}' (columns: ${table.columns.map((c) => c.name).join(', ')})`, EXIT_USAGE);
  if (col.kind !== 'categorical') throw new CliError(`--where: column '${where.column}' is continuous; only categorical columns can be conditioned on`, EXIT_USAGE);
  if (!col.values.includes(where.value)) {
    throw new CliError(`--where: column '${where.column}' has no value ${JSON.stringify(where.value)}`, EXIT_USAGE);
  }
}
