/**
 * `reckit demo` (also `npm start`): the end-to-end story on the embedded synthetic shop, or on an
 * interaction file with `--data`. The pipeline itself lives in lib/demo/run-demo.ts.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runDemo, type DemoOptions } from '../demo/run-demo';
import { modelNames } from '../recsys/registry';
import { CliError, type Command } from './command';

const USAGE = `reckit demo [--data FILE [--sep S] [--columns user,item,rating,time] [--min-rating R]]
        [--users 2000] [--items 600] [--seed 42] [--small] [--models itemknn,bpr] [--cfgan-epochs 50]
        [--sparse 0.25] [--augment 5] [--show 3] [--k 10] [--json out.json]`;

function number(value: string | undefined, name: string, integer: boolean, min: number, max = Infinity): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    throw new CliError(`--${name} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}] (got '${value}')`);
  }
  return n;
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'the whole story on a synthetic shop: train, GAN-augment sparse users, evaluate, recommend',
  usage: USAGE,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        data: { type: 'string' },
        sep: { type: 'string' },
        columns: { type: 'string' },
        'min-rating': { type: 'string' },
        users: { type: 'string' },
        items: { type: 'string' },
        seed: { type: 'string' },
        small: { type: 'boolean' },
        models: { type: 'string' },
        'cfgan-epochs': { type: 'string' },
        sparse: { type: 'string' },
        augment: { type: 'string' },
        show: { type: 'string' },
        k: { type: 'string' },
        json: { type: 'string' },
      },
    });
    // --small: a shop a test (or a curious reader) runs in a few seconds.
    const small = values.small === true;
    const options: DemoOptions = {
      data: values.data,
      sep: values.sep,
      columns: values.columns,
      minRating: number(values['min-rating'], 'min-rating', false, -Infinity),
      users: number(values.users, 'users', true, 10, 10_000_000) ?? (small ? 500 : undefined),
      items: number(values.items, 'items', true, 20, 10_000_000) ?? (small ? 150 : undefined),
      seed: number(values.seed, 'seed', true, 0),
      cfganEpochs: number(values['cfgan-epochs'], 'cfgan-epochs', true, 1),
      sparseFraction: number(values.sparse, 'sparse', false, 0.01, 1),
      augmentPerUser: number(values.augment, 'augment', true, 0, 1000),
      show: number(values.show, 'show', true, 0, 100),
      k: number(values.k, 'k', true, 1),
    };
    if (values.models !== undefined) {
      const available = modelNames();
      const models = values.models.split(',').map((m) => m.trim().toLowerCase()).filter(Boolean);
      const bad = models.filter((m) => !available.includes(m));
      if (models.length === 0 || bad.length) throw new CliError(`--models: ${bad.length ? `'${bad.join("', '")}' not available` : 'empty'} (available: ${available.join(', ')})`);
      options.models = models;
    }
    const report = await runDemo(options);
    if (values.json) {
      try {
        writeFileSync(values.json, `${JSON.stringify(report, (_k, v) => (v instanceof Float64Array || v instanceof Int32Array ? Array.from(v) : typeof v === 'number' && Number.isNaN(v) ? null : v), 2)}\n`);
      } catch (error) {
        throw new CliError(`cannot write ${values.json}: ${(error as Error).message}`, 1);
      }
      console.log(`wrote ${values.json}`);
    }
    return 0;
  },
};
