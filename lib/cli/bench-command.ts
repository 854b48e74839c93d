/** `reckit bench [suite...] [--json FILE] [--quick] [--threads N] [--device cpu|cuda]`: the benchmark harness. */
import { parseArgs } from 'node:util';
import { runBench } from '../../bench/run';
import { suites } from '../../bench/registry';
import { setThreads } from '../info';
import { CliError, type Command } from './command';

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
    if (values.device !== undefined && values.device !== 'cpu' && values.device !== 'cuda') {
      throw new CliError(`--device must be cpu or cuda (got '${values.device}')`);
    }
    if (values.threads) setThreads(Number(values.threads));
    await runBench({ suites: positionals, json: values.json, quick: values.quick, device: values.device as 'cpu' | 'cuda' | undefined, command: `npx reckit bench ${argv.join(' ')}`.trim() });
    return 0;
  },
};
