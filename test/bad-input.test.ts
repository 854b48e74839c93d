// The bad-input matrix: every public entry point (test/reliability/entry-points.ts) called with wrong
// types, lengths and dims, NaN/±Inf, bad ids, bad k, detached buffers, subarray views, disposed objects
// and dispose while in flight. Cases run in child processes, a few batches at a time, so a native crash
// or a promise that never settles is reported as that case's failure instead of killing the runner.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateCases } from './reliability/bad-input-cases';

const CHILD = path.join(__dirname, 'reliability', 'bad-input-child.ts');
const BATCHES = 4;
const PARALLEL = 2;

interface Batch {
  passed: number;
  failures: string[];
}

function runChild(from: number, to: number): Promise<{ lines: string[]; status: string; stderr: string }> {
  return new Promise((resolve) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'reckit-bad-input-report-'));
    const report = path.join(dir, 'report');
    const child = spawn(process.execPath, ['-r', 'tsx/cjs', CHILD, String(from), String(to), report], {
      cwd: path.join(__dirname, '..'),
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
    });
    let err = '';
    child.stdout.resume();
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code, signal) => {
      let out = '';
      try {
        out = readFileSync(report, 'utf8');
      } catch {
        // no case started
      }
      rmSync(dir, { recursive: true, force: true });
      resolve({ lines: out.split('\n'), status: signal ? `signal ${signal}` : `exit ${code}`, stderr: err });
    });
  });
}

/** Runs cases [from, to), restarting after any case that kills its child. */
async function runBatch(from: number, to: number, names: string[]): Promise<Batch> {
  const result: Batch = { passed: 0, failures: [] };
  let next = from;
  while (next < to) {
    const { lines, status, stderr } = await runChild(next, to);
    let started = -1;
    let done = false;
    for (const line of lines) {
      const [word, id, ...rest] = line.split(' ');
      if (word === 'START') started = Number(id);
      else if (word === 'PASS') { result.passed++; next = Number(id) + 1; started = -1; }
      else if (word === 'FAIL') { result.failures.push(`${names[Number(id)]}: ${JSON.parse(rest.join(' '))}`); next = Number(id) + 1; started = -1; }
      else if (word === 'DONE') done = true;
    }
    if (done) break;
    const at = started >= 0 ? started : next;
    const tail = stderr.trim().split('\n').slice(-25).join(' | ');
    result.failures.push(`${names[at] ?? `case ${at}`}: the child died (${status}) or the call never settled; stderr: ${tail}`);
    next = at + 1;
  }
  return result;
}

test('bad-input matrix: every case ends in its documented error code, nothing crashes, objects stay usable', async () => {
  const cases = generateCases();
  const names = cases.map((c) => c.name);
  const size = Math.ceil(cases.length / BATCHES);
  const ranges = Array.from({ length: BATCHES }, (_, b) => [b * size, Math.min(cases.length, (b + 1) * size)] as const);
  const results: Batch[] = [];
  for (let i = 0; i < ranges.length; i += PARALLEL) {
    results.push(...(await Promise.all(ranges.slice(i, i + PARALLEL).map(([a, b]) => runBatch(a, b, names)))));
  }
  const passed = results.reduce((s, r) => s + r.passed, 0);
  const failures = results.flatMap((r) => r.failures);
  const entries = new Set(cases.map((c) => c.entry.name)).size;
  console.log(`  bad-input matrix: ${cases.length} cases over ${entries} entry points in ${BATCHES} child batches: ${passed} passed, ${failures.length} failed`);
  assert.is(failures.length, 0, `failures:\n  ${failures.join('\n  ')}`);
  assert.is(passed, cases.length);
});

test.run();
