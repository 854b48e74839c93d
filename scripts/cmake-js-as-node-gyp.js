#!/usr/bin/env node
// prebuildify drives node-gyp; this stands in for it and builds with cmake-js instead (the same
// build as `npm install`), leaving reckit.node (and reckit_cuda.so when RECKIT_CUDA=1) in build/Release.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');
const args = [require.resolve('cmake-js/bin/cmake-js'), 'rebuild', '--directory', root];
if (process.argv.includes('--debug')) args.push('--debug');
const result = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root });
process.exit(result.status === null ? 1 : result.status);
