// Runs the reckit CLI in-process with console output captured, so CLI tests see exit codes and messages
// without paying a child process each.
import { main } from '../../lib/cli/main';

export interface CliRun {
  code: number;
  /** Everything printed with console.log, one line per call, each ending in a newline. */
  out: string;
  /** Everything printed with console.error, the same way. */
  err: string;
}

export async function runCli(argv: string[]): Promise<CliRun> {
  const log = console.log;
  const error = console.error;
  let out = '';
  let err = '';
  console.log = (...a: unknown[]) => void (out += `${a.join(' ')}\n`);
  console.error = (...a: unknown[]) => void (err += `${a.join(' ')}\n`);
  try {
    return { code: await main(argv), out, err };
  } finally {
    console.log = log;
    console.error = error;
  }
}
