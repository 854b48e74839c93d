// Soak: thousands of create/use/drop cycles per object kind (sync and async, with and without
// dispose, left to GC) in a child with --expose-gc; RSS after the warm-up and at the end (after full
// GCs) may differ only by a loose bound, far below what one leaked object per cycle would add.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from './helpers';

// Each scenario would leak at least 10 KB per cycle (x 600..3000 cycles) if objects leaked; allocator
// caches and V8 heap growth stay well below this.
const BOUND_MB = 40;

test(`soak: RSS stays within ${BOUND_MB} MB of its warmed-up value in every scenario`, () => {
  const child = spawnSync(process.execPath, ['--expose-gc', '-r', 'tsx/cjs', path.join(__dirname, 'fixtures', 'soak-child.ts')], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  assert.is(child.status, 0, child.stderr);
  const lines = child.stdout.trim().split('\n').map((l) => JSON.parse(l) as { name: string; iterations: number; before: number; after: number });
  assert.ok(lines.length >= 7);
  for (const l of lines) {
    console.log(`  soak ${l.name}: ${l.iterations} cycles, RSS ${l.before.toFixed(1)} -> ${l.after.toFixed(1)} MB`);
    assert.ok(l.after - l.before < BOUND_MB, `${l.name}: RSS grew by ${(l.after - l.before).toFixed(1)} MB`);
  }
});

test.run();
