#!/usr/bin/env node
// Builds the emulated CUDA library and the emulator self-test (native/cuda/emu/CMakeLists.txt) with g++:
//   node scripts/build-cuda-emulated.js [--source <dir with native/>] [--out <build dir>]
// Prints the library's path as its last line. No nvcc or GPU needed.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const os = require('node:os');

const root = path.join(__dirname, '..');

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? path.resolve(process.argv[i + 1]) : fallback;
}

function buildEmulated(sourceRoot, outDir) {
  const run = (args) => {
    const r = spawnSync('cmake', args, { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.error) throw new Error(`cmake could not run: ${r.error.message}`);
    if (r.status !== 0) throw new Error(`cmake ${args[0]} failed with status ${r.status}`);
  };
  run(['-S', path.join(sourceRoot, 'native', 'cuda', 'emu'), '-B', outDir, '-DCMAKE_BUILD_TYPE=RelWithDebInfo']);
  run(['--build', outDir, '--parallel', String(Math.max(1, Math.min(os.cpus().length, 4)))]);
  return {
    library: path.join(outDir, process.platform === 'darwin' ? 'reckit_cuda_emulated.dylib' : 'reckit_cuda_emulated.so'),
    selftest: path.join(outDir, 'reckit_cuda_emu_selftest'),
  };
}

module.exports = { buildEmulated };

if (require.main === module) {
  try {
    const out = buildEmulated(option('--source', root), option('--out', path.join(root, 'build', 'cuda-emulated')));
    console.log(out.library);
  } catch (error) {
    console.error(`reckit: building the emulated CUDA library failed: ${error.message}`);
    process.exit(1);
  }
}
