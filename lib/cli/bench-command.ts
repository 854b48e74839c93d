/** `reckit bench [suite...] [--json FILE] [--quick] [--threads N] [--device cpu|cuda]`: the benchmark harness. */
import { parseArgs } from 'node:util';
import { runBench } from '../../bench/run';
import { suites } from '../../bench/registry';
import { invalidArg } from '../errors';
import { setThreads } from '../info';
import type { Command } from './command';

export const benchCommand: Command = {
  name: 'bench',
  summary: 'run benchmark suites against peers and the machine limits',
  usage: `reckit bench [${suites.map((s) => s.name).join('|')} ...] [--json FILE] [--quick] [--threads N] [--device cpu|cuda]`,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { json: { type: 'string' }, quick: { type: 'boolean' }, threads: { type: 'string' }, device: { type: 'string' } },
    });
    if (values.threads) setThreads(Number(values.threads));
    const device = values.device ?? 'cpu';
    if (device !== 'cpu' && device !== 'cuda') throw invalidArg(`--device must be cpu or cuda (got ${device})`);
    await runBench({ suites: positionals, json: values.json, quick: values.quick, device, command: `npx reckit bench ${argv.join(' ')}`.trim() });
    return 0;
  },
};
