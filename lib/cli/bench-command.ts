/** `reckit bench [suite...] [--json FILE] [--quick] [--threads N]`: the benchmark harness. */
import { parseArgs } from 'node:util';
import { runBench } from '../../bench/run';
import { suites } from '../../bench/registry';
import { setThreads } from '../info';
import type { Command } from './command';

export const benchCommand: Command = {
  name: 'bench',
  summary: 'run benchmark suites against peers and the machine limits',
  usage: `reckit bench [${suites.map((s) => s.name).join('|')} ...] [--json FILE] [--quick] [--threads N]`,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { json: { type: 'string' }, quick: { type: 'boolean' }, threads: { type: 'string' } },
    });
    if (values.threads) setThreads(Number(values.threads));
    await runBench({ suites: positionals, json: values.json, quick: values.quick, command: `npx reckit bench ${argv.join(' ')}`.trim() });
    return 0;
  },
};
