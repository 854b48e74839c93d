#!/usr/bin/env node
// prebuildify drives node-gyp; this stands in for it and builds with cmake-js instead, exactly as `npm install`
// does (scripts/install.js: configure with every cached option stated, then build), leaving reckit.node (and
// reckit_cuda.so when RECKIT_CUDA=1) in build/Release. Incremental like an install: stating the options on
// each configure is what keeps a build tree left by another configuration (RECKIT_CUDA, RECKIT_SANITIZE) from
// leaking into the prebuild, so a from-scratch `rebuild` (minutes on a small machine) buys nothing.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const truthy = (v) => v !== undefined && v !== '' && v !== '0' && v !== 'false';
const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
const debug = process.argv.includes('--debug') ? ['--debug'] : [];
const cmake = (command, extra) =>
  spawnSync(process.execPath, [cmakeJs, command, '--directory', root, ...debug, ...extra], { stdio: 'inherit', cwd: root });

const cuda = truthy(process.env.RECKIT_CUDA);
let result = cmake('configure', [`--CDRECKIT_CUDA=${cuda ? 'ON' : 'OFF'}`, '--CDRECKIT_SANITIZE=']);
if (result.status === 0) result = cmake('build', []);
// prebuildify ships every shared library beside reckit.node: one left by an earlier CUDA build must go.
if (!cuda) fs.rmSync(path.join(root, 'build', debug.length ? 'Debug' : 'Release', 'reckit_cuda.so'), { force: true });
process.exit(result.status === null ? 1 : result.status);
