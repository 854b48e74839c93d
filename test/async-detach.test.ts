// An async call must not read (or write) memory its caller gave away mid-call: the input's ArrayBuffer is
// transferred (detached) and collected while the call runs. Inputs are copied before the work is queued
// (native/binding/async_inputs.h), so the call answers as if nothing happened; a caller's `out` array
// is written when the call settles, so a detached one gives ERR_RECKIT_INVALID_ARG. Each scenario runs
// in a child process (a crash must be a test failure, not the runner's death); under `npm run test:asan`
// the children run on the sanitized addon and a use-after-free would abort them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

function run(scenario: string): Record<string, unknown> {
  const child = spawnSync(process.execPath, ['--expose-gc', '-r', 'tsx/cjs', path.join(__dirname, 'fixtures', 'detach-child.ts'), scenario], {
    cwd: path.join(__dirname, '..'),
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  assert.is(child.status, 0, `${scenario}: exit ${child.status} signal ${child.signal}\n${child.stderr.slice(-2000)}`);
  return JSON.parse(child.stdout.trim().split('\n').pop() as string) as Record<string, unknown>;
}

for (const scenario of ['search', 'predict', 'train', 'lookupIds', 'gemmInput']) {
  test(`${scenario}: the input transferred and collected mid-call, the result is still exact`, () => {
    const report = run(scenario);
    assert.is(report.resolved, true, JSON.stringify(report));
    assert.is(report.ok, true, JSON.stringify(report));
    if ('detached' in report) assert.is(report.detached, true);  // the transfer really happened
  });
}

test('lookupAsync: a caller `out` transferred mid-call rejects with ERR_RECKIT_INVALID_ARG; untouched, it is filled', () => {
  const report = run('lookupOut');
  assert.is(report.resolved, false);
  assert.is(report.code, 'ERR_RECKIT_INVALID_ARG');
  assert.is(report.filledSame, true);
});

test('gemmAsync: a caller `c` transferred mid-call rejects with ERR_RECKIT_INVALID_ARG; untouched, it is filled', () => {
  const report = run('gemmOut');
  assert.is(report.resolved, false);
  assert.is(report.code, 'ERR_RECKIT_INVALID_ARG');
  assert.is(report.filledSame, true);
});

test.run();
