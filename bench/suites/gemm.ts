/**
 * Suite `gemm`: reckit's float32 GEMM at 1024³ and the MLP shapes of issue 5, forward (A·B) and the two
 * transposed forms of the backward pass (Aᵀ·B for weight gradients, A·Bᵀ for input gradients), on one
 * thread and on the whole compute pool; GFLOP/s and the fraction of the measured FMA peak, against
 * numpy's BLAS (OpenBLAS on Debian) measured in the same run with the same thread counts.
 */
import { getThreads, setThreads } from '../../lib/info';
import { gemm } from '../../lib/ops-gemm';
import { benchData, describeBlas, type Measurement, PY_BLAS_LIBS, runPython, type Suite, timeSync } from '../harness';

interface Shape {
  label: string;
  m: number;
  n: number;
  k: number;
}

// m×k · k×n; the labels follow the issue (A's shape · B's shape).
const SHAPES: Shape[] = [
  { label: '1024³', m: 1024, n: 1024, k: 1024 },
  { label: '256×128·128×256', m: 256, n: 256, k: 128 },
  { label: '256×256·256×256', m: 256, n: 256, k: 256 },
  { label: '4096×128·128×1000', m: 4096, n: 1000, k: 128 },
];
const FORMS = [
  { name: 'A·B', transA: false, transB: false },
  { name: 'Aᵀ·B', transA: true, transB: false },
  { name: 'A·Bᵀ', transA: false, transB: true },
] as const;

const caseName = (shape: Shape, form: string): string => `${shape.label} ${form}`;

// One python process per shape and thread count (OpenBLAS fixes its pool size at load). Prints one JSON
// line: GFLOP/s per case (median time) and which BLAS library numpy loaded.
function numpyScript(shapeList: Shape[], seconds: number): string {
  const shapes = JSON.stringify(shapeList.map((s) => [s.label, s.m, s.n, s.k]));
  const forms = JSON.stringify(FORMS.map((f) => [f.name, f.transA, f.transB]));
  return `
import json, time, statistics
import numpy as np
out = {}
rng = np.random.default_rng(1)
for label, m, n, k in json.loads('${shapes}'):
    for name, ta, tb in json.loads('${forms}'):
        a = (rng.random((k, m) if ta else (m, k), dtype=np.float32) * 2 - 1)
        b = (rng.random((n, k) if tb else (k, n), dtype=np.float32) * 2 - 1)
        A = a.T if ta else a
        B = b.T if tb else b
        c = np.empty((m, n), dtype=np.float32)
        np.dot(A, B, out=c)
        samples = []
        start = time.perf_counter()
        while len(samples) < 3 or time.perf_counter() - start < ${seconds}:
            t0 = time.perf_counter()
            np.dot(A, B, out=c)
            samples.append(time.perf_counter() - t0)
        out[label + ' ' + name] = 2.0 * m * n * k / statistics.median(samples) / 1e9
${PY_BLAS_LIBS}
print(json.dumps({'gflops': out, 'blas': blas_libs}))
`;
}

export const gemmSuite: Suite = {
  name: 'gemm',
  description: 'float32 GEMM (forward and transposed) vs numpy/OpenBLAS, GFLOP/s and fraction of FMA peak',
  async run(ctx) {
    const { limits } = ctx;
    const out: Measurement[] = [];
    const threadCounts = [...new Set([1, limits.threads])];
    const seconds = ctx.quick ? 0.05 : 0.5;
    const shapes = ctx.quick ? SHAPES.filter((s) => s.m * s.n * s.k <= 256 * 256 * 256) : SHAPES;
    const before = getThreads();
    let blasNoted = false;
    // Ours and numpy's figures for a shape are taken back to back (reckit, then one numpy process for that
    // shape), so a change in the machine's load between them (it is shared) skews a ratio as little as possible.
    try {
      for (const threads of threadCounts) {
        const peak = threads === 1 ? limits.fmaPeakGflops.one : limits.fmaPeakGflops.all;
        for (const shape of shapes) {
          setThreads(threads);
          for (const form of FORMS) {
            const { m, n, k } = shape;
            const a = benchData(m * k, 1);
            const b = benchData(k * n, 2);
            const c = new Float32Array(m * n);
            const options = { m, n, k, transA: form.transA, transB: form.transB, c };
            const t = timeSync(() => gemm(a, b, options), { minRuns: 3, minSeconds: seconds, warmup: 2 });
            const gflops = (2 * m * n * k) / (t.medianMs / 1000) / 1e9;
            out.push({
              case: caseName(shape, form.name),
              impl: 'reckit',
              threads,
              value: gflops,
              unit: 'GFLOP/s',
              better: 'higher',
              ofLimit: gflops / peak,
              extra: { medianMs: t.medianMs, runs: t.runs },
            });
          }
          const env = { OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
          const result = await runPython(numpyScript([shape], seconds), env);
          if (!result.ok) {
            ctx.note(`numpy skipped (${shape.label}, ${threads} thread${threads > 1 ? 's' : ''}): ${result.reason}`);
            continue;
          }
          const blas = describeBlas(result.value.blas as string[]);
          if (!blasNoted) ctx.note(`numpy BLAS: ${blas.text}`);
          blasNoted = true;
          for (const form of FORMS) {
            const gflops = result.value.gflops[caseName(shape, form.name)] as number | undefined;
            if (gflops === undefined) continue;
            out.push({
              case: caseName(shape, form.name),
              impl: `numpy (${blas.name})`,
              threads,
              value: gflops,
              unit: 'GFLOP/s',
              better: 'higher',
              ofLimit: gflops / peak,
            });
          }
        }
      }
    } finally {
      setThreads(before);
    }
    return out;
  },
};
