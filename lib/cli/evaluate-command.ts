/**
 * `reckit evaluate`: load an interaction file, clean it, split it, train the chosen recommenders and
 * print a model × metric table with training and evaluation times (and write it as JSON).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { clean } from '../recsys/clean';
import { evaluate, type Protocol } from '../recsys/evaluate';
import { loadInteractions } from '../recsys/load';
import { METRIC_NAMES, metricLabel } from '../recsys/metrics';
import { modelNames, PLANNED_MODELS } from '../recsys/registry';
import { splitBySpec } from '../recsys/split';
import { CliError, type Command } from './command';
import { ProgressBar } from './progress';

const USAGE = `reckit evaluate --interactions FILE [--sep S (default: detected)] [--columns user,item,rating,time] [--header auto|yes|no]
        [--min-rating R] [--kcore N] [--split loo|ratio:0.75|time[:0.8]] [--protocol full|sampled] [--negatives 99]
        [--models toppop,itemknn,userknn,bpr,cfgan] [--k 10] [--seed S] [--json out.json] [--quiet]`;

function number(value: string | undefined, name: string, integer: boolean, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min) {
    throw new CliError(`--${name} must be ${integer ? 'an integer' : 'a number'} >= ${min} (got '${value}')`);
  }
  return n;
}

function sepName(sep: string): string {
  return sep === '\t' ? 'tab' : sep === ' ' ? 'space' : `'${sep}'`;
}

function fmtMs(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: 'train recommenders on an interaction file and report HR/NDCG/P/R/MAP/MRR/AUC',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        interactions: { type: 'string' },
        sep: { type: 'string' },
        columns: { type: 'string' },
        header: { type: 'string' },
        'min-rating': { type: 'string' },
        kcore: { type: 'string' },
        split: { type: 'string' },
        protocol: { type: 'string' },
        negatives: { type: 'string' },
        models: { type: 'string' },
        k: { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'string' },
        quiet: { type: 'boolean' },
      },
    });
    void positionals;
    if (!values.interactions) throw new CliError(`--interactions FILE is required\nusage: ${USAGE}`);
    const minRating = number(values['min-rating'], 'min-rating', false, -Infinity);
    const kcore = number(values.kcore, 'kcore', true, 1);
    const k = number(values.k, 'k', true, 1) ?? 10;
    const seed = number(values.seed, 'seed', true, 0) ?? 0;
    const negatives = number(values.negatives, 'negatives', true, 1) ?? 99;
    const protocol = (values.protocol ?? 'full') as Protocol;
    if (protocol !== 'full' && protocol !== 'sampled') throw new CliError(`--protocol must be full or sampled (got '${values.protocol}')`);
    const splitSpec = values.split ?? 'ratio:0.75';
    const available = modelNames();
    const models = (values.models ?? available.join(',')).split(',').map((m) => m.trim().toLowerCase()).filter(Boolean);
    if (models.length === 0) throw new CliError(`--models is empty (available: ${available.join(', ')})`);
    for (const m of models) {
      if (available.includes(m)) continue;
      const why = PLANNED_MODELS.includes(m) ? `is not available in this build yet` : `is unknown`;
      throw new CliError(`model '${m}' ${why} (available: ${available.join(', ')})`);
    }
    const log = values.quiet ? () => {} : (line: string) => console.log(line);

    const headerFlag = { auto: 'auto', yes: true, no: false } as const;
    const headerOption = headerFlag[(values.header ?? 'auto') as keyof typeof headerFlag];
    if (headerOption === undefined) throw new CliError(`--header must be auto, yes or no (got '${values.header}')`);

    const t0 = performance.now();
    const loaded = await loadInteractions(values.interactions, { sep: values.sep, columns: values.columns, header: headerOption });
    const lr = loaded.report;
    const columns = lr.columns.map((c) => c.role).join(',');
    log(`input     ${values.interactions}: ${sepName(lr.separator)}-separated, ${lr.header ? 'header' : 'no header'}, columns ${columns}; ${lr.loaded} rows loaded in ${fmtMs(performance.now() - t0)}`);
    if (lr.malformed > 0) {
      console.error(`warning: ${lr.malformed} malformed row(s) skipped; first: ${lr.examples.map((e) => `line ${e.line} (${e.reason})`).join('; ')}`);
    }
    // Without a rating column every row has rating 1, so a threshold above 1 would silently drop them all.
    if (minRating !== undefined && !lr.columns.some((c) => c.role === 'rating')) {
      throw new CliError(`--min-rating needs a rating column, and the columns read are ${columns} (name it in --columns, e.g. user,item,rating or rating=stars)`);
    }
    const cleaned = clean(loaded.interactions, { minRating, kCore: kcore });
    const cr = cleaned.report;
    const parts = [`${cr.duplicates} duplicate(s) merged`];
    if (minRating !== undefined) parts.push(`${cr.belowMinRating} below rating ${minRating} dropped (rest implicit)`);
    if (kcore !== undefined) parts.push(`${cr.kCoreRows} row(s) dropped by the ${kcore}-core`);
    log(`clean     ${parts.join(', ')} -> ${cr.usersOut} users x ${cr.itemsOut} items, ${cr.rowsOut} interactions`);
    const split = splitBySpec(cleaned.interactions, splitSpec, seed);
    if (split.test.users.length === 0) throw new CliError(`the split '${splitSpec}' left no test interactions (too few rows per user?)`);
    log(`split     ${split.description}: ${split.train.users.length} train / ${split.test.users.length} test rows${split.dropped ? `, ${split.dropped} dropped (test pairs seen in train or cold users)` : ''}`);

    const bars = new Map<string, ProgressBar>();
    const evaluation = await evaluate(models, split, {
      k,
      protocol,
      negatives,
      seed,
      onProgress: values.quiet
        ? undefined
        : (p) => {
            const key = `${p.model}:${p.phase}`;
            if (!bars.has(key)) bars.set(key, new ProgressBar(`${p.model} ${p.phase === 'fit' ? 'training' : 'scoring'}`));
            bars.get(key)!.update(p.done, p.total);
            if (p.done >= p.total) bars.get(key)!.done();
          },
    });
    log(`protocol  ${evaluation.protocol}`);
    log('');
    const header = ['model', 'fit', 'eval', ...METRIC_NAMES.map((m) => metricLabel(m, k))];
    const rows = evaluation.results.map((r) => [r.model, fmtMs(r.fitMs), fmtMs(r.evalMs), ...METRIC_NAMES.map((m) => (Number.isNaN(r.metrics[m]) ? '-' : r.metrics[m].toFixed(4)))]);
    const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
    const line = (cells: string[]) => cells.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  ');
    log(line(header));
    for (const r of rows) log(line(r));
    log('');
    log(`users evaluated: ${evaluation.results[0]?.users ?? 0}; total ${fmtMs(performance.now() - t0)}`);

    if (values.json) {
      const out = {
        command: `reckit evaluate ${argv.join(' ')}`,
        input: { file: values.interactions, ...lr },
        clean: cr,
        split: {
          spec: splitSpec,
          description: split.description,
          trainRows: split.train.users.length,
          testRows: split.test.users.length,
          dropped: split.dropped,
          users: split.train.numUsers,
          items: split.train.numItems,
        },
        protocol: evaluation.protocol,
        protocolKind: evaluation.protocolKind,
        k,
        seed,
        results: evaluation.results,
      };
      try {
        writeFileSync(values.json, `${JSON.stringify(out, (_key, v) => (typeof v === 'number' && Number.isNaN(v) ? null : v), 2)}\n`);
      } catch (error) {
        throw new CliError(`cannot write ${values.json}: ${(error as Error).message}`, 1);
      }
      log(`wrote ${values.json}`);
    }
    return 0;
  },
};
