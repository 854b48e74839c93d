#!/usr/bin/env node
// The CUDA conformance suite (test/conformance/*.conformance.ts, and test/*device.test.ts) against a CUDA library:
//   node scripts/test-emulated.js                    build the emulated library (g++) and run the suite on it
//   node scripts/test-emulated.js --library <file>   run it on a given library (e.g. the nvcc build on a GPU)
//   ... --source <root> --out <dir>                  build the emulated library from another tree (planted bugs)
// The addon itself is the normal build (build/Release); the library is chosen with RECKIT_CUDA_LIBRARY.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { buildEmulated } = require('./build-cuda-emulated');

const root = path.join(__dirname, '..');

function option(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? path.resolve(process.argv[i + 1]) : undefined;
}

// The conformance suite, then the JS tests whose device cases run only with a CUDA library (listed here so CI
// covers the public `device: 'cuda'` path under emulation): one uvu run each, as [directory, file pattern].
const SUITE_RUNS = [
  ['test/conformance', '\\.conformance\\.ts$'],
  ['test', 'device\\.test\\.ts$'],
];

// Every file of the suite: { name (the file name, unique across SUITE_RUNS), dir }.
function suiteFiles() {
  const files = [];
  for (const [dir, pattern] of SUITE_RUNS) {
    const re = new RegExp(pattern);
    for (const name of fs.readdirSync(path.join(root, dir)).sort()) {
      if (re.test(name) && fs.statSync(path.join(root, dir, name)).isFile()) files.push({ name, dir });
    }
  }
  return files;
}

// The uvu runs, as [directory, file pattern], for the suite files named in `names` (all of SUITE_RUNS when
// `names` is undefined). An unknown name throws: a misspelt selection must not quietly run nothing.
function uvuRuns(names) {
  if (names === undefined) return SUITE_RUNS;
  const files = suiteFiles();
  const runs = [];
  for (const name of names) {
    if (!files.some((f) => f.name === name)) {
      throw new Error(`${name} is not a suite file (${SUITE_RUNS.map(([d, p]) => `${d}/${p}`).join(', ')})`);
    }
  }
  for (const [dir] of SUITE_RUNS) {
    const chosen = files.filter((f) => f.dir === dir && names.includes(f.name)).map((f) => f.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    if (chosen.length) runs.push([dir, `^(?:${chosen.join('|')})$`]);
  }
  return runs;
}

// Runs the suite with `library` (only the files named in `files`, when given); returns uvu's exit status (its
// output goes to ours unless `capture`, then { status, signal, output }).
function runSuite(library, selftest, { capture = false, files } = {}) {
  const uvu = path.join(root, 'node_modules', 'uvu', 'bin.js');
  const env = { ...process.env, RECKIT_CUDA_LIBRARY: library };
  if (selftest) env.RECKIT_CUDA_EMU_SELFTEST = selftest;
  let status = 0;
  let signal = null;
  let output = '';
  for (const [dir, pattern] of uvuRuns(files)) {
    const r = spawnSync(process.execPath, [uvu, '-r', 'tsx/cjs', dir, pattern], {
      cwd: root,
      env,
      stdio: capture ? 'pipe' : 'inherit',
      encoding: 'utf8',
      // A planted bug can fail a hundred cases with long diffs: past the default 1 MB, Node would kill the run.
      maxBuffer: 256 * 1024 * 1024,
    });
    if (r.status !== 0) status = r.status === null ? 1 : r.status;
    signal = signal ?? r.signal;
    if (capture) output += `${r.stdout}${r.stderr}`;
  }
  return capture ? { status, signal, output } : status;
}

module.exports = { runSuite, SUITE_RUNS, suiteFiles, uvuRuns };

if (require.main === module) {
  let library = option('--library');
  let selftest;
  if (!library) {
    try {
      ({ library, selftest } = buildEmulated(option('--source') ?? root, option('--out') ?? path.join(root, 'build', 'cuda-emulated')));
    } catch (error) {
      console.error(`reckit: building the emulated CUDA library failed: ${error.message}`);
      process.exit(1);
    }
  }
  process.exit(runSuite(library, selftest));
}
