#!/usr/bin/env node
// npm install hook: use a prebuild when one loads on this machine, else build from source with
// cmake-js. A git checkout, RECKIT_CUDA=1 (CUDA library) or RECKIT_BUILD_FROM_SOURCE=1 always build from source.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const truthy = (v) => v !== undefined && v !== '' && v !== '0' && v !== 'false';

function prebuildThatLoads() {
  const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  if (!fs.existsSync(dir)) return { file: null, tried: [`${dir} (none)`] };
  const tried = [];
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.node'))) {
    const file = path.join(dir, name);
    // Load in a child: a prebuild for another libc or CPU must not take this process down.
    const probe = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(file)}).info()`], { encoding: 'utf8' });
    if (probe.status === 0) return { file, tried };
    tried.push(`${file}: ${(probe.stderr || '').trim().split('\n').slice(-1)[0] || `exit ${probe.status}`}`);
  }
  return { file: null, tried };
}

function buildFromSource() {
  let cmakeJs;
  try {
    cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
  } catch {
    console.error('reckit: cmake-js is missing, so the addon cannot be built from source (reinstall reckit).');
    process.exit(1);
  }
  const cuda = truthy(process.env.RECKIT_CUDA);
  // configure + build rather than `compile`: compile skips CMake when the build tree exists, so a changed
  // option (RECKIT_CUDA on/off) would be ignored. Always pass the choice: CMake caches options.
  const cmake = (command, extra) =>
    spawnSync(process.execPath, [cmakeJs, command, '--directory', root, ...extra], { stdio: 'inherit', cwd: root });
  let result = cmake('configure', [`--CDRECKIT_CUDA=${cuda ? 'ON' : 'OFF'}`]);
  if (result.status === 0) result = cmake('build', []);
  if (!cuda) {
    // A CUDA library left by an earlier RECKIT_CUDA=1 build would still be dlopen'ed: remove it.
    fs.rmSync(path.join(root, 'build', 'Release', 'reckit_cuda.so'), { force: true });
  }
  if (result.status !== 0) {
    console.error(
      'reckit: building the native addon failed. It needs CMake >= 3.18 and a C++17 compiler' +
        (cuda ? ', and nvcc for RECKIT_CUDA=1' : '') + '.',
    );
    process.exit(result.status || 1);
  }
}

// A git checkout is a developer's tree: its sources may be newer than any prebuild lying around.
const gitCheckout = fs.existsSync(path.join(root, '.git'));
const forceSource = gitCheckout || truthy(process.env.RECKIT_CUDA) || truthy(process.env.RECKIT_BUILD_FROM_SOURCE);
if (!forceSource) {
  const { file, tried } = prebuildThatLoads();
  if (file) {
    console.log(`reckit: using prebuild ${path.relative(root, file)}`);
    process.exit(0);
  }
  console.log(`reckit: no prebuild loads here (${tried.join('; ')}); building from source`);
}
buildFromSource();
