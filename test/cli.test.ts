import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { info } from '../lib/index';
import { ROOT } from './helpers';

function cli(...args: string[]) {
  return spawnSync(process.execPath, ['bin/reckit.js', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
}

test('reckit info prints the backend, ISA and thread count', () => {
  const r = cli('info');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^backend\s+cpu$/m);
  assert.match(r.stdout, new RegExp(`^isa\\s+${info().isa}`, 'm'));
  assert.match(r.stdout, new RegExp(`^threads\\s+${info().threads}`, 'm'));
  const json = JSON.parse(cli('info', '--json').stdout);
  assert.is(json.isa, info().isa);
});

test('unknown commands and options exit with 2 and a message', () => {
  const unknown = cli('frobnicate');
  assert.is(unknown.status, 2);
  assert.match(unknown.stderr, "unknown command 'frobnicate'");
  const badOption = cli('info', '--colour');
  assert.is(badOption.status, 2);
  assert.match(badOption.stderr, 'colour');
});

test('reckit bench machine --quick prints the limits and the dot kernel per ISA, and writes JSON', () => {
  const fs = require('node:fs') as typeof import('node:fs');
  const os = require('node:os') as typeof import('node:os');
  const path = require('node:path') as typeof import('node:path');
  const json = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'reckit-bench-')), 'out.json');
  const r = cli('bench', 'machine', '--quick', '--json', json);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, 'limits: read');
  assert.match(r.stdout, 'reproduce: npx reckit bench machine --quick');
  const report = JSON.parse(fs.readFileSync(json, 'utf8'));
  const rows = report.suites[0].measurements.filter((m: { impl: string }) => m.impl.startsWith('reckit'));
  assert.equal(rows.map((m: { impl: string }) => m.impl), info().supportedIsas.map((isa) => `reckit ${isa}`));
  for (const m of rows) assert.ok(m.value > 0 && m.unit === 'GB/s');
  assert.ok(report.limits.fmaPeakGflops.one > 0 && report.limits.readBandwidthGBs.all > 0);
  assert.is(cli('bench', 'nope').status, 1);
});

test.run();
