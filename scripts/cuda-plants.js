#!/usr/bin/env node
// Shows that the CUDA conformance suite catches kernel bugs: for each planted bug below, plant it in a copy of
// native/ (build/cuda-plants/), build the emulated library from that copy and run the suite. Every plant must
// make at least one case fail; prints how many did. `npm run test:cuda-plants [name...]`.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { buildEmulated } = require('./build-cuda-emulated');
const { runSuite, SUITE_RUNS } = require('./test-emulated');

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
  },
  {
    name: 'adam-step-count-off-by-one',
    what: 'sparse Adam: the bias correction uses the step count before this step',
    file: 'native/cuda/embedding_backward.cu',
    find: 'reckit::adam_correction(steps[segment_row[s]] + 1, lr, beta1, beta2);',
    replace: 'reckit::adam_correction(steps[segment_row[s]], lr, beta1, beta2);',
  },
  {
    name: 'max-backward-last-tie-wins',
    what: 'max-bag backward: a tied maximum goes to the last position holding it instead of the first (the CPU rule)',
    file: 'native/cuda/embedding_backward.cu',
    find: '    if (i == begin || x > best) {',
    replace: '    if (i == begin || x >= best) {',
  },
  {
    name: 'staging-short-copy',
    what: 'resident objects: the pinned staging upload copies one float less of each piece',
    file: 'native/cuda/pinned_staging.h',
    find: '      std::memcpy(data_, static_cast<const char*>(host) + done, piece);',
    replace: '      std::memcpy(data_, static_cast<const char*>(host) + done, piece > 4 ? piece - 4 : piece);',
  },
  {
    name: 'mlp-bias-grad-drops-last-row',
    what: 'device Mlp training: the bias gradient sums every row but the last of the mini-batch',
    file: 'native/cuda/mlp_network.cu',
    find: '  for (size_t r = 0; r < rows; ++r) sum += delta[r * n + j];',
    replace: '  for (size_t r = 0; r + 1 < rows; ++r) sum += delta[r * n + j];',
  },
  {
    name: 'loss-reduction-missing-syncthreads',
    what: 'loss: the block tree reduction reads partial sums before the previous level is written',
    file: 'native/cuda/elementwise.cu',
    find: '    if (threadIdx.x < half) sums[threadIdx.x] += sums[threadIdx.x + half];\n    __syncthreads();\n  }\n  if (threadIdx.x == 0) partial[blockIdx.x] = sums[0];',
    replace: '    if (threadIdx.x < half) sums[threadIdx.x] += sums[threadIdx.x + half];\n  }\n  if (threadIdx.x == 0) partial[blockIdx.x] = sums[0];',
  },
  {
    name: 'index-missing-syncthreads',
    what: 'device index: no __syncthreads between reading a decoded tile and loading the next one',
    file: 'native/cuda/index.cu',
    find: '      for (unsigned d = 0; d < kDimChunk; ++d) acc += query_tile[warp][d] * row_tile[lane][d];\n      __syncthreads();\n',
    replace: '      for (unsigned d = 0; d < kDimChunk; ++d) acc += query_tile[warp][d] * row_tile[lane][d];\n',
  },
  {
    name: 'index-exclusion-off-by-one',
    what: "device index: a query's last excluded row is left out of the binary search",
    file: 'native/cuda/index.cu',
    find: 'uint64_t lo = exclude_offsets[q], hi = exclude_offsets[q + 1];',
    replace: 'uint64_t lo = exclude_offsets[q], hi = exclude_offsets[q + 1] - (exclude_offsets[q + 1] > lo ? 1 : 0);',
  },
  {
    name: 'index-filter-bit',
    what: 'device index: the filter bitmap is read at bit (row mod 32) instead of (row mod 64)',
    file: 'native/cuda/index.cu',
    find: 'if (blocked && ((blocked[row >> 6] >> (row & 63)) & 1u)) return false;',
    replace: 'if (blocked && ((blocked[row >> 6] >> (row & 31)) & 1u)) return false;',
  },
  {
    name: 'index-i8-scale-on-tail',
    what: 'device index: an i8 row is scaled only when it is not the last row of its tile',
    file: 'native/cuda/index.cu',
    find: 'if (Dtype == RECKIT_CUDA_DTYPE_I8 && inside) acc *= scales[row];',
    replace: 'if (Dtype == RECKIT_CUDA_DTYPE_I8 && inside && lane != 31) acc *= scales[row];',
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

// Plants `p` in the planting tree's copy of its file; returns a function that takes it out again.
function plant(p, tree) {
  const file = path.join(tree, p.file);
  const text = fs.readFileSync(file, 'utf8');
  const count = text.split(p.find).length - 1;
  if (count !== 1) throw new Error(`plant ${p.name}: expected its text once in ${p.file}, found ${count} (update the plant)`);
  fs.writeFileSync(file, text.replace(p.find, p.replace));
  return () => fs.writeFileSync(file, text);
}

// Runs the suite on `library`: { total, caught, failed: names of the failing cases, crash }. A planted bug
// may also crash the suite (a kernel writing far out of bounds corrupts the emulating process, where a GPU
// would report an illegal address): that is a catch too, reported with the file that was running.
function suiteResult(library, selftest) {
  const { status, signal, output } = runSuite(library, selftest, { capture: true });
  const clean = output.replace(/\x1b\[[0-9;]*m/g, '');
  // One uvu run per entry of SUITE_RUNS (the conformance suite, then the device JS tests): sum their counts.
  const sum = (re) => [...clean.matchAll(re)].reduce((acc, m) => acc + Number(m[1]), 0);
  const runsReported = [...clean.matchAll(/Total:\s+(\d+)/g)].length;
  const total = sum(/Total:\s+(\d+)/g);
  const passed = sum(/Passed:\s+(\d+)/g);
  const failed = [...clean.matchAll(/FAIL\s+.*?"(.*)"/g)].map((m) => m[1]);
  let crash = null;
  if (runsReported < SUITE_RUNS.length && status !== 0) {
    const files = [...clean.matchAll(/^(\S+\.(?:conformance|test)\.ts)$/gm)].map((m) => m[1]);
    crash = `the suite crashed in ${files.length ? files[files.length - 1] : '?'} (${signal ?? `exit ${status}`})`;
  }
  return { total, caught: total - passed, failed, clean, crash };
}

// First the unplanted sources: the suite must pass on them, or the counts below would mean nothing.
const baseline = buildEmulated(root, path.join(root, 'build', 'cuda-emulated'));
const clean = suiteResult(baseline.library, baseline.selftest);
if (clean.total === 0 || clean.caught !== 0) {
  console.error(`reckit: the conformance suite does not pass on the unplanted sources (${clean.caught} of ${clean.total} fail)`);
  console.error(clean.clean);
  process.exit(1);
}
console.log(`unplanted sources: ${clean.total} of ${clean.total} cases pass`);

// One copy of native/ and one build tree for every plant, so each rebuild compiles only the planted file.
const tree = path.join(root, 'build', 'cuda-plants');
fs.rmSync(path.join(tree, 'native'), { recursive: true, force: true });
fs.cpSync(path.join(root, 'native'), path.join(tree, 'native'), { recursive: true });

const wanted = process.argv.slice(2);
let uncaught = 0;
for (const p of PLANTS.filter((x) => wanted.length === 0 || wanted.includes(x.name))) {
  const unplant = plant(p, tree);
  try {
    const { library, selftest } = buildEmulated(tree, path.join(tree, 'build'));
    const { total, caught, failed: failedNames, crash } = suiteResult(library, selftest);
    if (caught === 0 && !crash) uncaught++;
    const verdict = crash ? `caught: ${crash}` : caught === 0 ? 'NOT CAUGHT' : `caught by ${caught} of ${total} cases`;
    console.log(`plant ${p.name} (${p.what}): ${verdict}`);
    for (const name of failedNames) console.log(`    ${name}`);
  } finally {
    unplant();
  }
}
process.exit(uncaught === 0 ? 0 : 1);
