#!/usr/bin/env node
// Shows that the CUDA conformance suite catches kernel bugs: for each planted bug below, plant it in a persistent
// copy of native/ (build/cuda-plants/native), rebuild the emulated library there incrementally (the planted
// object and a relink), run the conformance files that test that kernel on it, and take the plant out again.
// Every plant must make at least one case fail; prints how many did.
//   npm run test:cuda-plants [-- [name...] [--jobs N] [--skip-baseline]]
//   --jobs N         suite runs at a time (default 2: the emulator runs one GPU thread at a time, so a run uses
//                    one core; planted libraries are built one after another meanwhile)
//   --check          only check that every plant's find text and suites still exist (no build; npm test runs it)
//   --skip-baseline  do not first run the whole suite on the unplanted copy; only for a caller that has just run
//                    it on the same sources (CI's conformance-emulated stage, right before)
// A plant: name, what, file (under native/), find (must occur exactly once: else the kernel changed and the
// plant must be updated, which fails the run), replace, and optionally suites: the conformance / device test
// files to run (default: SUITES_BY_FILE[file], else the whole suite). A plant its suites do not catch is run on
// the whole suite before it counts as not caught.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { buildEmulated } = require('./build-cuda-emulated');
const { uvuRuns } = require('./test-emulated');

const root = path.join(__dirname, '..');

const PLANTS = [
  {
    name: 'topk-row-tail-off-by-one',
    what: 'top-k scan: the row one past the end of a slice is offered as a hit',
    file: 'native/cuda/index.cu',
    find: 'const bool inside = row < r1;',
    replace: 'const bool inside = row <= r1;',
  },
  {
    name: 'gemm-missing-syncthreads',
    what: 'GEMM: no __syncthreads after the products, so the next slice overwrites tiles still being read',
    file: 'native/cuda/gemm.cu',
    find: '        for (unsigned v = 0; v < kMicro; ++v) acc[u][v] += av[u] * bv[v];\n    }\n    __syncthreads();\n',
    replace: '        for (unsigned v = 0; v < kMicro; ++v) acc[u][v] += av[u] * bv[v];\n    }\n',
  },
  {
    name: 'gemm-depth-tail-off-by-one',
    what: 'GEMM: the element one past k is read into the last slice',
    file: 'native/cuda/gemm.cu',
    find: '  if (i >= g.m || p >= g.k) return 0.0f;',
    replace: '  if (i >= g.m || p > g.k) return 0.0f;',
  },
  {
    name: 'embedding-dim-tail-off-by-one',
    what: 'embedding bags: the thread one past the last dimension writes',
    file: 'native/cuda/embedding.cu',
    find: '  if (d >= dim) return;',
    replace: '  if (d > dim) return;',
  },
  {
    name: 'backward-scan-missing-syncthreads',
    what: 'bag backward: the segment scan reads a neighbour before it is updated (no __syncthreads)',
    file: 'native/cuda/embedding_backward.cu',
    find: '    const unsigned add = t >= offset ? partial[t - offset] : 0u;\n    __syncthreads();\n',
    replace: '    const unsigned add = t >= offset ? partial[t - offset] : 0u;\n',
    suites: ['embedding.conformance.ts'],
  },
  {
    name: 'adam-step-count-off-by-one',
    what: 'sparse Adam: the bias correction uses the step count before this step',
    file: 'native/cuda/embedding_backward.cu',
    find: 'reckit::adam_correction(steps[segment_row[s]] + 1, lr, beta1, beta2);',
    replace: 'reckit::adam_correction(steps[segment_row[s]], lr, beta1, beta2);',
    suites: ['embedding-step.conformance.ts'],
  },
  {
    name: 'max-backward-last-tie-wins',
    what: 'max-bag backward: a tied maximum goes to the last position holding it instead of the first (the CPU rule)',
    file: 'native/cuda/embedding_backward.cu',
    find: '    if (i == begin || x > best) {',
    replace: '    if (i == begin || x >= best) {',
    suites: ['embedding-table-device.conformance.ts'],
  },
  {
    name: 'staging-short-copy',
    what: 'resident objects: the pinned staging upload copies one float less of each piece',
    file: 'native/cuda/pinned_staging.h',
    find: '      std::memcpy(stage, static_cast<const char*>(host) + done, piece);',
    replace: '      std::memcpy(stage, static_cast<const char*>(host) + done, piece > 4 ? piece - 4 : piece);',
    suites: ['embedding-table-device.conformance.ts'],
  },
  {
    name: 'mlp-bias-grad-drops-last-row',
    what: 'device Mlp training: the bias gradient sums every row but the last of the mini-batch',
    file: 'native/cuda/mlp_network.cu',
    find: '  for (size_t r = 0; r < rows; ++r) sum += delta[r * n + j];',
    replace: '  for (size_t r = 0; r + 1 < rows; ++r) sum += delta[r * n + j];',
  },
  {
    name: 'mlp-input-grad-drops-last-row',
    what: 'device Mlp backward: the input gradient dL/dx leaves out the last row of the batch',
    file: 'native/cuda/mlp_network.cu',
    find: '    launch_gemm(false, true, rows, s.in, s.units, 1.0f, delta, s.units, params() + s.weight_offset, s.units, 0.0f,\n                target, s.in,',
    replace: '    launch_gemm(false, true, li == 0 ? rows - 1 : rows, s.in, s.units, 1.0f, delta, s.units, params() + s.weight_offset, s.units, 0.0f,\n                target, s.in,',
  },
  {
    name: 'loss-reduction-missing-syncthreads',
    what: 'loss (and the Gan sums): the block tree reduction reads partial sums before the previous level is written',
    file: 'native/cuda/block_sum.cuh',
    find: '    if (threadIdx.x < half) sums[threadIdx.x] += sums[threadIdx.x + half];\n    __syncthreads();\n  }\n  return sums[0];',
    replace: '    if (threadIdx.x < half) sums[threadIdx.x] += sums[threadIdx.x + half];\n  }\n  return sums[0];',
    suites: ['training-ops.conformance.ts'],
  },
  {
    name: 'index-missing-syncthreads',
    what: 'device index: no __syncthreads between reading a decoded tile and loading the next one',
    file: 'native/cuda/index.cu',
    find: '      for (unsigned d = 0; d < kDimChunk; ++d) acc += query_tile[warp][d] * row_tile[lane][d];\n      __syncthreads();\n',
    replace: '      for (unsigned d = 0; d < kDimChunk; ++d) acc += query_tile[warp][d] * row_tile[lane][d];\n',
    suites: ['index.conformance.ts'],
  },
  {
    name: 'index-exclusion-off-by-one',
    what: "device index: a query's last excluded row is left out of the binary search",
    file: 'native/cuda/index.cu',
    find: 'uint64_t lo = exclude_offsets[q], hi = exclude_offsets[q + 1];',
    replace: 'uint64_t lo = exclude_offsets[q], hi = exclude_offsets[q + 1] - (exclude_offsets[q + 1] > lo ? 1 : 0);',
    suites: ['index.conformance.ts'],
  },
  {
    name: 'index-filter-bit',
    what: 'device index: the filter bitmap is read at bit (row mod 32) instead of (row mod 64)',
    file: 'native/cuda/index.cu',
    find: 'if (blocked && ((blocked[row >> 6] >> (row & 63)) & 1u)) return false;',
    replace: 'if (blocked && ((blocked[row >> 6] >> (row & 31)) & 1u)) return false;',
    suites: ['index.conformance.ts'],
  },
  {
    name: 'index-i8-scale-on-tail',
    what: 'device index: an i8 row is scaled only when it is not the last row of its tile',
    file: 'native/cuda/index.cu',
    find: 'if (Dtype == RECKIT_CUDA_DTYPE_I8 && inside) acc *= scales[row];',
    replace: 'if (Dtype == RECKIT_CUDA_DTYPE_I8 && inside && lane != 31) acc *= scales[row];',
    suites: ['index.conformance.ts'],
  },
  {
    name: 'gan-gumbel-backward-missing-inverse-tau',
    what: 'device Gan: the Gumbel-softmax backward leaves out the 1/tau of its Jacobian',
    file: 'native/cuda/gan_kernels.cu',
    find: '    default: reckit::span_softmax_backward(y + at, grad + at, s.width, 1.f / tau, grad + at); break;',
    replace: '    default: reckit::span_softmax_backward(y + at, grad + at, s.width, 1.f, grad + at); break;',
  },
  {
    name: 'gan-fake-gradient-row-stride',
    what: "device Gan: the fakes' gradient is read from D's input gradient with the data width as the row stride (the conditions' columns ignored)",
    file: 'native/cuda/gan_kernels.cu',
    find: '  out[i] = in[(i / cols) * in_width + i % cols];',
    replace: '  out[i] = in[(i / cols) * cols + i % cols];',
  },
  {
    name: 'gan-condition-loss-row-past-batch',
    what: 'device Gan: the conditional-loss kernel runs one thread past the last row of the batch',
    file: 'native/cuda/gan_kernels.cu',
    find: '  if (r >= rows) return;\n  double total = 0.0;',
    replace: '  if (r > rows) return;\n  double total = 0.0;',
  },
  {
    name: 'cfgan-zr-gradient-half',
    what: "device CFGAN: the zero-reconstruction term's gradient leaves out the 2 of d(r²)/dr",
    file: 'native/cuda/cfgan.cu',
    find: '    grad[e] = d_in_grad[r * 2 * n + j] * pm[e] + 2.f * zr_scale * y * zr[e];',
    replace: '    grad[e] = d_in_grad[r * 2 * n + j] * pm[e] + zr_scale * y * zr[e];',
  },
  {
    name: 'philox-tail-off-by-one',
    what: 'Philox fill: the last block writes one value past n',
    file: 'native/cuda/philox_fill.cu',
    find: 'for (size_t j = 0; j < 4 && first + j < n; ++j)',
    replace: 'for (size_t j = 0; j < 4 && first + j <= n; ++j)',
  },
];

// The conformance files that test each kernel source, for plants that do not name their own `suites`. A file not
// listed here (a new kernel, a shared header) gets the whole suite.
const SUITES_BY_FILE = {
  'native/cuda/index.cu': ['index.conformance.ts', 'topk.conformance.ts'],
  'native/cuda/topk.cu': ['topk.conformance.ts'],
  'native/cuda/gemm.cu': ['gemm.conformance.ts'],
  'native/cuda/embedding.cu': ['embedding.conformance.ts'],
  'native/cuda/embedding_backward.cu': ['embedding.conformance.ts', 'embedding-step.conformance.ts', 'embedding-table-device.conformance.ts'],
  'native/cuda/embedding_table.cu': ['embedding-table-device.conformance.ts'],
  'native/cuda/pinned_staging.h': ['embedding-table-device.conformance.ts', 'mlp-device.conformance.ts', 'index.conformance.ts', 'topk.conformance.ts'],
  'native/cuda/device_scratch.h': ['embedding-table-device.conformance.ts', 'index.conformance.ts'],
  'native/cuda/mlp.cu': ['mlp-device.conformance.ts', 'mlp-resident.conformance.ts'],
  'native/cuda/mlp_network.cu': ['mlp-device.conformance.ts', 'mlp-resident.conformance.ts'],
  'native/cuda/gan.cu': ['gan-device.conformance.ts'],
  'native/cuda/gan_kernels.cu': ['gan-device.conformance.ts', 'cfgan-device.conformance.ts'],
  'native/cuda/cfgan.cu': ['cfgan-device.conformance.ts'],
  'native/cuda/elementwise.cu': ['training-ops.conformance.ts'],
  'native/cuda/philox_fill.cu': ['philox.conformance.ts'],
};

const suitesOf = (p) => p.suites ?? SUITES_BY_FILE[p.file];

function options(argv) {
  const o = { names: [], jobs: Math.max(1, Math.min(os.cpus().length, 2)), skipBaseline: false, check: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--jobs') o.jobs = Math.max(1, Number.parseInt(argv[++i], 10) || 1);
    else if (argv[i] === '--skip-baseline') o.skipBaseline = true;
    else if (argv[i] === '--check') o.check = true;
    else if (argv[i].startsWith('--')) throw new Error(`unknown option ${argv[i]}`);
    else o.names.push(argv[i]);
  }
  return o;
}

// Every check that needs no build, all at once, so one run lists every stale plant.
function validate(plants) {
  const problems = [];
  const seen = new Set();
  for (const p of plants) {
    if (seen.has(p.name)) problems.push(`plant ${p.name}: the name is used twice`);
    seen.add(p.name);
    const file = path.join(root, p.file);
    if (!fs.existsSync(file)) {
      problems.push(`plant ${p.name}: ${p.file} does not exist (update the plant)`);
      continue;
    }
    const count = fs.readFileSync(file, 'utf8').split(p.find).length - 1;
    if (count !== 1) problems.push(`plant ${p.name}: expected its text once in ${p.file}, found ${count} (the kernel changed: update the plant)`);
    try {
      uvuRuns(suitesOf(p));
    } catch (error) {
      problems.push(`plant ${p.name}: ${error.message}`);
    }
  }
  return problems;
}

// Makes `tree`/native a copy of native/, rewriting only the files whose content differs (and removing those gone):
// unchanged files keep their mtimes, so the build there stays incremental from one run to the next, and a file
// left planted by an interrupted run is put back.
function syncTree(from, to) {
  fs.mkdirSync(to, { recursive: true });
  const wanted = new Set(fs.readdirSync(from));
  for (const name of fs.readdirSync(to)) {
    if (!wanted.has(name)) fs.rmSync(path.join(to, name), { recursive: true, force: true });
  }
  for (const name of wanted) {
    const src = path.join(from, name);
    const dst = path.join(to, name);
    if (fs.statSync(src).isDirectory()) {
      if (fs.existsSync(dst) && !fs.statSync(dst).isDirectory()) fs.rmSync(dst, { force: true });
      syncTree(src, dst);
    } else {
      const same = fs.existsSync(dst) && fs.statSync(dst).isFile() && fs.readFileSync(src).equals(fs.readFileSync(dst));
      if (!same) {
        fs.rmSync(dst, { recursive: true, force: true });
        fs.copyFileSync(src, dst);
      }
    }
  }
}

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

// Writes `text` to `file` with an mtime later than `after` (the last build's output), so make rebuilds what
// depends on it both when a plant goes in and when it comes out; on a file system with coarse timestamps the
// write could otherwise land in the same tick as the object built from the previous content.
function writeNewer(file, text, after) {
  fs.writeFileSync(file, text);
  while (fs.statSync(file).mtimeMs <= after) {
    sleep(20);
    const now = new Date();
    fs.utimesSync(file, now, now);
  }
}

// Runs a command; resolves to { status, signal, output } (output captured only when `capture`).
function run(command, args, { env = process.env, capture = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', capture ? 'pipe' : 'inherit', capture ? 'pipe' : 'inherit'] });
    const chunks = [];
    if (capture) {
      child.stdout.on('data', (c) => chunks.push(c));
      child.stderr.on('data', (c) => chunks.push(c));
    }
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, output: Buffer.concat(chunks).toString('utf8') }));
  });
}

// Runs `files` of the suite (all when undefined) on `library`: { total, caught, failed: names of the failing
// cases, crash, clean }. A planted bug may also crash the suite (a kernel writing far out of bounds corrupts the
// emulating process, where a GPU would report an illegal address): that is a catch too, reported with the file
// that was running.
async function suiteResult(library, selftest, files) {
  const uvu = path.join(root, 'node_modules', 'uvu', 'bin.js');
  const env = { ...process.env, RECKIT_CUDA_LIBRARY: library, RECKIT_CUDA_EMU_SELFTEST: selftest };
  const runs = uvuRuns(files);
  let clean = '';
  let status = 0;
  let signal = null;
  for (const [dir, pattern] of runs) {
    const r = await run(process.execPath, [uvu, '-r', 'tsx/cjs', dir, pattern], { env, capture: true });
    if (r.status !== 0) status = r.status === null ? 1 : r.status;
    signal = signal ?? r.signal;
    clean += r.output.replace(/\x1b\[[0-9;]*m/g, '');
  }
  // One uvu run per directory: sum their counts.
  const sum = (re) => [...clean.matchAll(re)].reduce((acc, m) => acc + Number(m[1]), 0);
  const runsReported = [...clean.matchAll(/Total:\s+(\d+)/g)].length;
  const total = sum(/Total:\s+(\d+)/g);
  const passed = sum(/Passed:\s+(\d+)/g);
  const failed = [...clean.matchAll(/FAIL\s+.*?"(.*)"/g)].map((m) => m[1]);
  let crash = null;
  if (runsReported < runs.length && status !== 0) {
    const ran = [...clean.matchAll(/^(\S+\.(?:conformance|test)\.ts)$/gm)].map((m) => m[1]);
    crash = `the suite crashed in ${ran.length ? ran[ran.length - 1] : '?'} (${signal ?? `exit ${status}`})`;
  }
  return { total, caught: total - passed, failed, crash, clean };
}

// Async tasks run `jobs` at a time, in the order they are pushed, while more may still come until close().
class TaskQueue {
  constructor(tasks = []) {
    this.tasks = tasks;
    this.closed = false;
    this.waiting = [];
  }
  push(task) {
    this.tasks.push(task);
    this.waiting.splice(0).forEach((wake) => wake());
  }
  close() {
    this.closed = true;
    this.waiting.splice(0).forEach((wake) => wake());
  }
  drain(jobs) {
    const worker = async () => {
      for (;;) {
        if (this.tasks.length) await this.tasks.shift()();
        else if (this.closed) return;
        else await new Promise((wake) => this.waiting.push(wake));
      }
    };
    return Promise.all(Array.from({ length: jobs }, worker));
  }
}

async function main() {
  const o = options(process.argv.slice(2));
  const unknown = o.names.filter((n) => !PLANTS.some((p) => p.name === n));
  if (unknown.length) throw new Error(`no plant named ${unknown.join(', ')}`);
  // Grouped by file (in list order otherwise): consecutive plants in one file rebuild one object each.
  const files = [...new Set(PLANTS.map((p) => p.file))];
  const chosen = PLANTS.filter((p) => o.names.length === 0 || o.names.includes(p.name))
    .sort((a, b) => files.indexOf(a.file) - files.indexOf(b.file));
  const problems = validate(chosen);
  if (problems.length) {
    for (const line of problems) console.error(`reckit: ${line}`);
    process.exitCode = 1;
    return;
  }
  if (o.check) {
    console.log(`${chosen.length} plants: every find text is in its file once and every suite exists`);
    return;
  }

  // One persistent copy of native/ and one build tree for every plant (and every run): each plant rebuilds
  // only what includes the planted file, then relinks.
  const tree = path.join(root, 'build', 'cuda-plants');
  const out = path.join(tree, 'build');
  const libs = path.join(tree, 'libraries');
  syncTree(path.join(root, 'native'), path.join(tree, 'native'));
  fs.rmSync(libs, { recursive: true, force: true });
  fs.mkdirSync(libs, { recursive: true });
  const { library, selftest } = buildEmulated(tree, out);
  const build = async () => {
    const r = await run('cmake', ['--build', out, '--parallel', String(Math.max(1, Math.min(os.cpus().length, 4)))], { capture: true });
    if (r.status !== 0) throw new Error(`the planted build failed:\n${r.output}`);
    return fs.statSync(library).mtimeMs;
  };
  let built = fs.statSync(library).mtimeMs;

  const suiteRuns = [];
  // First the unplanted sources: the suite must pass on them, or the counts below would mean nothing.
  let baseline = null;
  if (!o.skipBaseline) {
    const copy = path.join(libs, 'unplanted.so');
    fs.copyFileSync(library, copy);
    suiteRuns.push(async () => { baseline = await suiteResult(copy, selftest, undefined); });
  }

  // The planted libraries are built one after another (the tree holds one plant at a time), each copied out
  // and its suites queued at once, so building overlaps the suite runs of the plants before it.
  const results = new Map();
  const runPlant = async (p, planted) => {
    const suites = suitesOf(p);
    let r = await suiteResult(planted, selftest, suites);
    r.where = suites ? `ran ${suites.join(', ')}` : 'ran the whole suite';
    if (suites && r.caught === 0 && !r.crash) {
      // Its own files miss it: only the whole suite can say it is not caught.
      r = await suiteResult(planted, selftest, undefined);
      r.where = r.caught === 0 && !r.crash
        ? `ran ${suites.join(', ')}, then the whole suite`
        : `ran the whole suite, as ${suites.join(', ')} did not catch it: name the file that does in the plant's suites`;
    }
    results.set(p.name, r);
    const verdict = r.crash ? `caught: ${r.crash}` : r.caught === 0 ? 'NOT CAUGHT' : `caught by ${r.caught} of ${r.total} cases`;
    console.log(`plant ${p.name} (${p.what}): ${verdict} [${r.where}]`);
    for (const name of r.failed) console.log(`    ${name}`);
  };
  const queue = new TaskQueue(suiteRuns);
  const building = (async () => {
    try {
      for (const p of chosen) {
        const file = path.join(tree, p.file);
        const text = fs.readFileSync(file, 'utf8');
        writeNewer(file, text.replace(p.find, () => p.replace), built);
        try {
          built = await build();
        } finally {
          writeNewer(file, text, built);
        }
        const planted = path.join(libs, `${p.name}${path.extname(library)}`);
        fs.copyFileSync(library, planted);
        queue.push(() => runPlant(p, planted));
      }
    } finally {
      queue.close();
    }
  })();
  const [builds, runs] = await Promise.allSettled([building, queue.drain(o.jobs)]);
  if (builds.status === 'rejected') throw builds.reason;
  if (runs.status === 'rejected') throw runs.reason;

  let failedRun = false;
  if (baseline) {
    if (baseline.total === 0 || baseline.caught !== 0 || baseline.crash) {
      console.error(`reckit: the conformance suite does not pass on the unplanted sources (${baseline.caught} of ${baseline.total} fail${baseline.crash ? `; ${baseline.crash}` : ''}): the counts above mean nothing`);
      console.error(baseline.clean);
      failedRun = true;
    } else {
      console.log(`unplanted sources: ${baseline.total} of ${baseline.total} cases pass`);
    }
  }
  const uncaught = chosen.filter((p) => { const r = results.get(p.name); return r.caught === 0 && !r.crash; });
  console.log(`${chosen.length - uncaught.length} of ${chosen.length} plants caught${uncaught.length ? `; NOT CAUGHT: ${uncaught.map((p) => p.name).join(', ')}` : ''}`);
  if (uncaught.length || failedRun) process.exitCode = 1;
}

main().catch((error) => {
  console.error(`reckit: cuda plants: ${error.message}`);
  process.exitCode = 1;
});
