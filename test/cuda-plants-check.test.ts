// The planted-bug script (scripts/cuda-plants.js) finds each plant by its exact text in a kernel source. A
// refactor that moves or rewrites that text makes the plant stale, and CI's plant stage fails; this check runs in
// `npm test` so the change that breaks a plant is told at once, not after a 30-minute CI run.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from './helpers';

function check(root: string) {
  return spawnSync(process.execPath, [path.join(root, 'scripts', 'cuda-plants.js'), '--check'], { encoding: 'utf8' });
}

test('every planted bug still finds its text once in its kernel source, and its suites exist', () => {
  const r = check(ROOT);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\d+ plants: every find text is in its file once/);
});

test('a kernel source whose planted text changed fails the check and names the plant', () => {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'reckit-plants-'));
  try {
    for (const dir of ['scripts', 'native', path.join('test', 'conformance')]) {
      fs.cpSync(path.join(ROOT, dir), path.join(copy, dir), { recursive: true });
    }
    const file = path.join(copy, 'native', 'cuda', 'block_sum.cuh');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('    __syncthreads();\n  }\n  return sums[0];', '  }\n  return sums[0];'));
    const r = check(copy);
    assert.is(r.status, 1);
    assert.match(r.stderr, /plant loss-reduction-missing-syncthreads: expected its text once in native\/cuda\/block_sum\.cuh, found 0/);
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
});

test.run();
