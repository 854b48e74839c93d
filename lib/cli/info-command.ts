/** `reckit info`: the build, the CPU path in use, threads, and CUDA availability. */
import { parseArgs } from 'node:util';
import { info } from '../info';
import type { Command } from './command';

export const infoCommand: Command = {
  name: 'info',
  summary: 'show the version, backend, ISA, threads and CUDA availability',
  usage: 'reckit info [--json]',
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' } } });
    const i = info();
    if (values.json) {
      console.log(JSON.stringify(i, null, 2));
      return 0;
    }
    console.log(`reckit ${i.version}`);
    console.log(`backend  ${i.backend}`);
    console.log(`isa      ${i.isa} (supported: ${i.supportedIsas.join(', ')})${i.isaNote ? `; ${i.isaNote}` : ''}`);
    console.log(`threads  ${i.threads} (physical cores: ${i.physicalCores})`);
    console.log(`cuda     ${i.cuda.available ? `available, ${i.cuda.devices} device(s)` : `unavailable: ${i.cuda.reason}`}`);
    return 0;
  },
};
