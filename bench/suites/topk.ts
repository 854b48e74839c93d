/**
 * Suite `topk`: exact top-k (k = 10) over seeded random unit vectors (dim 128, N = 100k and 1M) for every
 * CosineIndex storage, against FAISS IndexFlatIP (python3), usearch exactSearch, hnswlib-node
 * BruteforceSearch, @tensorflow/tfjs (wasm: matMul + topk) and a plain JS loop, measured in the same run.
 * Single-query latency is judged against the read-bandwidth floor (N x dim x bytes / bandwidth); a
 * 1,000-query batch against the FMA peak (2 N dim n flops). Writes an SVG chart per case to bench/results/.
 * `--device cuda` adds rows for the device-resident index (`reckit cuda ...`; upload outside the timing; no "of limit").
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CosineIndex, type Storage } from '../../lib/cosine-index';
import { setThreads } from '../../lib/info';
import { packageRoot } from '../../lib/native';
import { benchData, describeBlas, type Measurement, PY_BLAS_LIBS, runPython, type Suite, type SuiteContext, timeAsync, timeSync, tryRequire } from '../harness';
import { writeBarChartSvg } from '../svg';

const DIM = 128;
const K = 10;
const BATCH = 1000;
const PEER_BATCH = 100;  // peers without batching or threads: QPS from fewer queries (noted in `extra`)
const BYTES: Record<Storage, number> = { f32: 4, bf16: 2, f16: 2, i8: 1 };
const VARIANTS: { storage: Storage; rerank: boolean }[] = [
  { storage: 'f32', rerank: false },
  { storage: 'bf16', rerank: false },
  { storage: 'bf16', rerank: true },
  { storage: 'f16', rerank: false },
  { storage: 'i8', rerank: false },
  { storage: 'i8', rerank: true },
];

/** Seeded unit vectors (n x DIM). */
function unitVectors(n: number, seed: number): Float32Array {
  const v = benchData(n * DIM, seed);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let i = r * DIM; i < (r + 1) * DIM; i++) s += v[i] * v[i];
    const inv = 1 / Math.sqrt(s);
    for (let i = r * DIM; i < (r + 1) * DIM; i++) v[i] *= inv;
  }
  return v;
}

interface Case {
  n: number;
  single: string;
  batch: string;
  out: Measurement[];
  ctx: SuiteContext;
  timing: { minRuns: number; minSeconds: number; warmup: number };
}

function singleRow(c: Case, impl: string, threads: number, ms: number, bytesPerElement?: number, extra?: Measurement['extra']): void {
  const bw = threads === 1 ? c.ctx.limits.readBandwidthGBs.one : c.ctx.limits.readBandwidthGBs.all;
  const floorMs = bytesPerElement ? (c.n * DIM * bytesPerElement) / (bw * 1e9) * 1e3 : undefined;
  c.out.push({ case: c.single, impl, threads, value: ms, unit: 'ms', better: 'lower', ofLimit: floorMs === undefined ? undefined : floorMs / ms, extra });
}

function batchRow(c: Case, impl: string, threads: number, queries: number, ms: number, extra?: Measurement['extra']): void {
  const peak = threads === 1 ? c.ctx.limits.fmaPeakGflops.one : c.ctx.limits.fmaPeakGflops.all;
  const gflops = (2 * c.n * DIM * queries) / (ms / 1e3) / 1e9;
  c.out.push({ case: c.batch, impl, threads, value: queries / (ms / 1e3), unit: 'QPS', better: 'higher', ofLimit: gflops / peak, extra: { gflops: Number(gflops.toFixed(1)), queries, ...extra } });
}

async function ours(c: Case, data: Float32Array, queries: Float32Array, threadCounts: number[], device: 'cpu' | 'cuda'): Promise<void> {
  const ids = new Uint32Array(c.n).map((_, i) => i);
  for (const { storage, rerank } of VARIANTS) {
    const index = new CosineIndex({ dim: DIM, metric: 'ip', storage, rerank, device });
    index.add(ids, data);
    // The device rows: the GPU scans; host threads only prepare queries and rerank, so one thread count.
    const name = `reckit ${device === 'cuda' ? 'cuda ' : ''}${storage}${rerank ? '+rerank' : ''}`;
    if (device === 'cuda') index.searchSync(queries.subarray(0, DIM), { k: K });  // the upload, outside the timing
    for (const threads of device === 'cuda' ? threadCounts.slice(-1) : threadCounts) {
      setThreads(threads);
      let i = 0;
      const single = timeSync(() => index.searchSync(queries.subarray((i % 16) * DIM, (i++ % 16 + 1) * DIM), { k: K }), c.timing);
      singleRow(c, name, threads, single.medianMs, BYTES[storage]);
      const batch = await timeAsync(() => index.search(queries, { k: K }), { ...c.timing, minRuns: c.ctx.quick ? 1 : 3, warmup: c.ctx.quick ? 0 : 1 });
      batchRow(c, name, threads, BATCH, batch.medianMs);
      // The machine limits are the CPU's: a device row has no "of limit".
      if (device === 'cuda') for (const m of c.out.slice(-2)) m.ofLimit = undefined;
    }
    index.dispose();
  }
  setThreads(0);
}

const FAISS_SCRIPT = `
import json, sys, time
import numpy as np
import faiss
n, d, k, nb, threads, min_s = __ARGS__
rng = np.random.default_rng(1)
x = rng.standard_normal((n, d), dtype=np.float32); x /= np.linalg.norm(x, axis=1, keepdims=True)
q = rng.standard_normal((nb, d), dtype=np.float32); q /= np.linalg.norm(q, axis=1, keepdims=True)
index = faiss.IndexFlatIP(d); index.add(x)
def timed(fn, runs, secs):
    fn(); t = []; t0 = time.perf_counter()
    while len(t) < runs or time.perf_counter() - t0 < secs:
        s = time.perf_counter(); fn(); t.append((time.perf_counter() - s) * 1e3)
    t.sort(); return t[len(t) // 2]
${PY_BLAS_LIBS}
out = {"version": faiss.__version__, "blas": blas_libs}
for th in threads:
    faiss.omp_set_num_threads(th)
    i = [0]
    def one():
        j = i[0] % 16; i[0] += 1; index.search(q[j:j + 1], k)
    out[str(th)] = {"single_ms": timed(one, 5, min_s), "batch_ms": timed(lambda: index.search(q, k), 3, min_s)}
print(json.dumps(out))
`;

// One python process per thread count: OpenMP (FAISS) and OpenBLAS (its GEMM) read their thread counts
// at start-up, and changing them in a running process oversubscribes the cores.
async function faiss(c: Case, threadCounts: number[]): Promise<void> {
  for (const t of threadCounts) {
    const args = `${c.n}, ${DIM}, ${K}, ${BATCH}, [${t}], ${c.ctx.quick ? 0.05 : 1.0}`;
    const env = { OMP_NUM_THREADS: String(t), OPENBLAS_NUM_THREADS: String(t) };
    const r = await runPython(FAISS_SCRIPT.replace('__ARGS__', args), env);
    if (!r.ok) {
      c.ctx.note(`faiss skipped: ${r.reason}`);
      return;
    }
    const m = r.value[String(t)];
    const blas = describeBlas(r.value.blas as string[]);
    const extra = { version: r.value.version, blas: blas.name };
    singleRow(c, 'faiss IndexFlatIP', t, m.single_ms, 4, extra);
    batchRow(c, 'faiss IndexFlatIP', t, BATCH, m.batch_ms, extra);
    if (t === threadCounts[0]) c.ctx.note(`faiss ${r.value.version} BLAS: ${blas.text}`);
  }
}

async function usearch(c: Case, data: Float32Array, queries: Float32Array, threadCounts: number[]): Promise<void> {
  const u = tryRequire('usearch');
  if (!u) return c.ctx.note('usearch not installed: skipped (bench/install-peers.sh)');
  const exact = u.exactSearch ?? u.default?.exactSearch;
  const ip = (u.MetricKind ?? u.default?.MetricKind).IP;
  for (const t of threadCounts) {
    let i = 0;
    const single = timeSync(() => exact(data, queries.subarray((i % 16) * DIM, (i++ % 16 + 1) * DIM), DIM, K, ip, t), c.timing);
    singleRow(c, 'usearch exactSearch', t, single.medianMs, 4);
    const nb = c.ctx.quick ? 16 : PEER_BATCH;
    const batch = timeSync(() => exact(data, queries.subarray(0, nb * DIM), DIM, K, ip, t), { minRuns: 1, minSeconds: 0, warmup: 0 });
    batchRow(c, 'usearch exactSearch', t, nb, batch.medianMs);
  }
}

function hnswlib(c: Case, data: Float32Array, queries: Float32Array): void {
  const h = tryRequire('hnswlib-node');
  if (!h) return c.ctx.note('hnswlib-node not installed: skipped (bench/install-peers.sh)');
  const index = new h.BruteforceSearch('ip', DIM);
  index.initIndex(c.n);
  for (let r = 0; r < c.n; r++) index.addPoint(Array.from(data.subarray(r * DIM, (r + 1) * DIM)), r);
  const qs = Array.from({ length: 16 }, (_, j) => Array.from(queries.subarray(j * DIM, (j + 1) * DIM)));
  let i = 0;
  const single = timeSync(() => index.searchKnn(qs[i++ % 16], K), c.timing);
  singleRow(c, 'hnswlib-node Bruteforce', 1, single.medianMs, 4);
  const nb = c.ctx.quick ? 8 : Math.min(PEER_BATCH, 32);
  const batch = timeSync(() => { for (let j = 0; j < nb; j++) index.searchKnn(qs[j % 16], K); }, { minRuns: 1, minSeconds: 0, warmup: 0 });
  batchRow(c, 'hnswlib-node Bruteforce', 1, nb, batch.medianMs, { note: 'one query at a time (no batch API)' });
}

async function tfjs(c: Case, data: Float32Array, queries: Float32Array): Promise<void> {
  const tf = tryRequire('@tensorflow/tfjs');
  const wasm = tryRequire('@tensorflow/tfjs-backend-wasm');
  if (!tf || !wasm) return c.ctx.note('@tensorflow/tfjs or its wasm backend not installed: skipped');
  await tf.setBackend('wasm');
  await tf.ready();
  const x = tf.tensor2d(data, [c.n, DIM]);
  const run = (q: Float32Array, n: number) => tf.tidy(() => {
    const scores = tf.matMul(tf.tensor2d(q, [n, DIM]), x, false, true);
    const { values, indices } = tf.topk(scores, K);
    values.dataSync();
    indices.dataSync();
  });
  let i = 0;
  const single = timeSync(() => run(queries.subarray((i % 16) * DIM, (i++ % 16 + 1) * DIM), 1), c.timing);
  singleRow(c, 'tfjs-wasm matMul+topk', 1, single.medianMs, 4);
  const chunk = 16;  // 16 x N scores at a time keeps the wasm heap small
  const nb = c.ctx.quick ? 16 : 64;
  const batch = timeSync(() => { for (let j = 0; j < nb; j += chunk) run(queries.subarray(j * DIM, (j + chunk) * DIM), chunk); }, { minRuns: 1, minSeconds: 0, warmup: 0 });
  batchRow(c, 'tfjs-wasm matMul+topk', 1, nb, batch.medianMs);
  x.dispose();
}

function plainJs(c: Case, data: Float32Array, queries: Float32Array): void {
  const search = (q: Float32Array) => {
    const best = new Float64Array(K).fill(-Infinity);
    const bestId = new Int32Array(K).fill(-1);
    for (let r = 0; r < c.n; r++) {
      let s = 0;
      const o = r * DIM;
      for (let i = 0; i < DIM; i++) s += q[i] * data[o + i];
      if (s > best[K - 1]) {
        let j = K - 1;
        while (j > 0 && best[j - 1] < s) { best[j] = best[j - 1]; bestId[j] = bestId[j - 1]; j--; }
        best[j] = s;
        bestId[j] = r;
      }
    }
    return bestId;
  };
  let i = 0;
  const single = timeSync(() => search(queries.subarray((i % 16) * DIM, (i++ % 16 + 1) * DIM)), c.timing);
  singleRow(c, 'plain JS loop', 1, single.medianMs, 4);
}

function chart(c: Case, measurements: Measurement[], caseName: string, unit: string, direction: string): void {
  const rows = measurements.filter((m) => m.case === caseName);
  const dir = path.join(packageRoot, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `topk-${caseName.replace(/[^a-z0-9]+/gi, '-')}.svg`);
  writeBarChartSvg(file, `${caseName} (${unit}, ${direction})`, rows.map((m) => ({ label: `${m.impl} (${m.threads}t)`, value: m.value, group: m.impl.startsWith('reckit') ? 'reckit' : m.impl })), unit);
  c.ctx.note(`chart: ${path.relative(process.cwd(), file)}`);
}

export const topkSuite: Suite = {
  hasDevicePath: true,
  name: 'topk',
  description: `exact top-${K} over unit vectors (dim ${DIM}): single-query latency and a ${BATCH}-query batch, per storage, vs FAISS/usearch/hnswlib-node/tfjs/JS`,
  async run(ctx) {
    const out: Measurement[] = [];
    const threadCounts = [...new Set([1, ctx.limits.threads])];
    // RECKIT_BENCH_TOPK_N=100000,1000000 picks the corpus sizes (e.g. one size for a shorter run).
    const fromEnv = (process.env.RECKIT_BENCH_TOPK_N ?? '').split(',').map(Number).filter((v) => Number.isInteger(v) && v > 0);
    const sizes = fromEnv.length ? fromEnv : ctx.quick ? [20000] : [100000, 1000000];
    const timing = ctx.quick ? { minRuns: 3, minSeconds: 0.05, warmup: 1 } : { minRuns: 10, minSeconds: 1, warmup: 2 };
    const queries = unitVectors(BATCH, 2);
    ctx.note('peers use their own seeded unit vectors of the same shape (flat search cost does not depend on the values)');
    for (const n of sizes) {
      const c: Case = { n, single: `N=${n} dim=${DIM} k=${K} single query`, batch: `N=${n} dim=${DIM} k=${K} batch`, out, ctx, timing };
      const data = unitVectors(n, 1);
      await ours(c, data, queries, threadCounts, 'cpu');
      if (ctx.device === 'cuda') await ours(c, data, queries, threadCounts, 'cuda');
      await faiss(c, threadCounts);
      await usearch(c, data, queries, threadCounts);
      hnswlib(c, data, queries);
      await tfjs(c, data, queries);
      plainJs(c, data, queries);
      chart(c, out, c.single, 'ms', 'lower is better');
      chart(c, out, c.batch, 'QPS', 'higher is better');
    }
    return out;
  },
};
