#!/usr/bin/env node
// `npm run test:pack`: packs the package as npm would publish it, installs the tarball into a fresh
// temporary project, and loads it there with require() and import. Uses the prebuild if one was
// made (`npm run prebuild`), else the tarball builds from source, as a user's install would.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'reckit-pack-'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, RECKIT_CUDA: '' } });
  if (r.status !== 0) {
    console.error(`pack-check: ${cmd} ${args.join(' ')} failed (${r.status})\n${r.stdout}\n${r.stderr}`);
    process.exit(1);
  }
  return r.stdout;
}

try {
  const packed = JSON.parse(run(npm, ['pack', '--json', '--pack-destination', work], root))[0];
  const tarball = path.join(work, packed.filename);
  const names = packed.files.map((f) => f.path);
  for (const required of ['dist/lib/index.js', 'dist/lib/index.mjs', 'dist/lib/index.d.ts', 'CMakeLists.txt', 'native/core/error.h', 'scripts/install.js', 'bin/reckit.js']) {
    if (!names.includes(required)) throw new Error(`the tarball lacks ${required}`);
  }
  if (names.some((n) => n.startsWith('test/') || n.startsWith('build/') || n.startsWith('node_modules/'))) {
    throw new Error('the tarball ships test/, build/ or node_modules/');
  }
  const prebuilt = names.filter((n) => n.startsWith('prebuilds/'));
  console.log(`pack-check: ${packed.filename}, ${names.length} files, ${(packed.size / 1024).toFixed(0)} KiB` +
    (prebuilt.length ? `, prebuilds: ${prebuilt.join(', ')}` : ', no prebuild (the install builds from source)'));

  const project = path.join(work, 'project');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'pack-check', version: '1.0.0', private: true }));
  const installLog = run(npm, ['install', '--no-audit', '--no-fund', '--foreground-scripts', tarball], project);
  const used = /reckit: using prebuild (\S+)/.exec(installLog);
  console.log(`pack-check: installed (${used ? `prebuild ${used[1]}` : 'built from source'})`);

  const cjs = execFileSync(process.execPath, ['-e', "const r = require('reckit'); const i = r.info(); console.log(i.backend + ' ' + i.isa + ' ' + r.ops.dot(new Float32Array([1, 2]), new Float32Array([3, 4])))"], { cwd: project, encoding: 'utf8' }).trim();
  const esm = execFileSync(process.execPath, ['--input-type=module', '-e', "import { info } from 'reckit'; console.log(info().backend)"], { cwd: project, encoding: 'utf8' }).trim();
  const cli = execFileSync(path.join(project, 'node_modules', '.bin', 'reckit'), ['info'], { cwd: project, encoding: 'utf8' });
  if (!cjs.startsWith('cpu ') || !cjs.endsWith(' 11') || esm !== 'cpu' || !/backend\s+cpu/.test(cli)) {
    throw new Error(`unexpected results: cjs='${cjs}' esm='${esm}' cli='${cli}'`);
  }
  console.log(`pack-check: require -> ${cjs}; import -> ${esm}; npx reckit info ok`);
  console.log('pack-check: ok');
} catch (error) {
  console.error(`pack-check: FAILED: ${error.message}`);
  process.exitCode = 1;
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
