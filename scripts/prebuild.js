#!/usr/bin/env node
// `npm run prebuild`: prebuildify (Node-API, stripped) with cmake-js as its build backend, writing
// prebuilds/<platform>-<arch>/reckit.node. One prebuild serves every Node >= 18 (Node-API 8), and
// every x86-64 CPU: the kernels pick AVX-512/AVX2/portable at run time.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');
const prebuildify = require.resolve('prebuildify/bin.js', { paths: [root] });
const env = { ...process.env, PREBUILD_NODE_GYP: path.join(__dirname, 'cmake-js-as-node-gyp.js') };
const result = spawnSync(process.execPath, [prebuildify, '--napi', '--strip', ...process.argv.slice(2)], {
  stdio: 'inherit',
  cwd: root,
  env,
});
process.exit(result.status === null ? 1 : result.status);
