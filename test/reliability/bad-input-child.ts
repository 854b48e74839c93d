/**
 * Child process of the bad-input matrix: runs cases [from, to) and reports each on stdout
 * (`START id`, then `PASS id` or `FAIL id message`) to the REPORT file, ending with `DONE`. A crash leaves a START
 * without its result, which the parent reports as that case's failure.
 * Usage: node -r tsx/cjs test/reliability/bad-input-child.ts FROM TO REPORT
 */
import { appendFileSync } from 'node:fs';
import { generateCases, runCase } from './bad-input-cases';
import { prepareImages } from './entry-points';

// A file, appended synchronously: it survives a crash, and (unlike a pipe) never answers EAGAIN.
const [from, to, report] = process.argv.slice(2);
const say = (line: string) => appendFileSync(report, `${line}\n`);

async function main(): Promise<void> {
  await prepareImages();
  const cases = generateCases().slice(Number(from), Number(to));
  for (const c of cases) {
    say(`START ${c.id}`);
    let problem: string | undefined;
    try {
      problem = await runCase(c);
    } catch (error) {
      problem = `the harness threw: ${(error as Error)?.stack ?? String(error)}`;
    }
    say(problem === undefined ? `PASS ${c.id}` : `FAIL ${c.id} ${JSON.stringify(problem)}`);
  }
  say('DONE');
}

main().then(
  () => process.exit(0),
  (error) => {
    say(`FATAL ${JSON.stringify(String(error?.stack ?? error))}`);
    process.exit(1);
  },
);
