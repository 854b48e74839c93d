/** The `reckit` command line: dispatches to the commands registered below. */
import { benchCommand } from './bench-command';
import { CliError, type Command } from './command';
import { demoCommand } from './demo-command';
import { evaluateCommand } from './evaluate-command';
import { infoCommand } from './info-command';
import { qualityCommand } from './quality-command';
import { synthCommand } from './synth-command';

export const commands: Command[] = [infoCommand, benchCommand, evaluateCommand, qualityCommand, synthCommand, demoCommand];

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'usage: reckit <command> [options]',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'reckit <command> --help shows the options of a command.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return name ? 0 : 1;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    console.error(`reckit: unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`usage: ${command.usage}\n\n${command.summary}`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof CliError) {
      console.error(`reckit ${name}: ${error.message}`);
      return error.exitCode;
    }
    const e = error as Error & { code?: string };
    if (e && (e.code?.startsWith('ERR_RECKIT_') || e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || e.code?.startsWith('ERR_PARSE_ARGS'))) {
      console.error(`reckit ${name}: ${e.message}`);
      return 2;
    }
    throw error;
  }
}
