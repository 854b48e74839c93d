#!/usr/bin/env node
// The CUDA library built with nvcc on its own (native/cuda/CMakeLists.txt -> build/cuda-nvcc/): the compile
// and link check for every target architecture. Where a GPU is usable, the conformance suite then runs on
// it; without one this says so and stops after the build (which must pass either way).
// `--library <file>` skips the build and checks an existing library (e.g. CI's RECKIT_CUDA=1 build).
'use strict';
const { spawnSync } = require('node:child_process');
const os = require('node:os');
const path = require('node:path');
const { runSuite } = require('./test-emulated');

const root = path.join(__dirname, '..');
const out = path.join(root, 'build', 'cuda-nvcc');

function cmake(args) {
  const r = spawnSync('cmake', args, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`reckit: cmake ${args[0]} failed (status ${r.status}): the nvcc build of reckit_cuda does not pass`);
    process.exit(1);
  }
}

const given = process.argv.indexOf('--library');
let library;
if (given >= 0 && process.argv[given + 1]) {
  library = path.resolve(process.argv[given + 1]);
} else {
  cmake(['-S', path.join(root, 'native', 'cuda'), '-B', out, '-DCMAKE_BUILD_TYPE=Release']);
  cmake(['--build', out, '--parallel', String(Math.max(1, Math.min(os.cpus().length, 4)))]);
  library = path.join(out, 'reckit_cuda.so');
  console.log(`reckit: nvcc build ok: ${library}`);
}

const probe = spawnSync(process.execPath, ['-r', 'tsx/cjs', '-e',
  "const c = require('./lib/index').info().cuda; console.log(JSON.stringify(c));"], {
  cwd: root, env: { ...process.env, RECKIT_CUDA_LIBRARY: library }, encoding: 'utf8',
});
const status = probe.status === 0 ? JSON.parse(probe.stdout.trim().split('\n').pop()) : null;
if (!status || !status.libraryLoaded) {
  console.error(`reckit: the nvcc-built library does not load: ${status ? status.reason : probe.stderr}`);
  process.exit(1);
}
if (!status.available) {
  console.log(`reckit: no usable GPU here (${status.reason}); conformance on a GPU not run`);
  process.exit(0);
}
process.exit(runSuite(library));
