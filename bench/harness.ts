/**
 * The bench harness's shared vocabulary: suites, measurements, timing, and access to optional peers
 * (Python through /usr/bin/python3, npm packages that may be missing). Suites live in bench/suites/.
 */
import { spawn } from 'node:child_process';

/** This machine's limits, measured by the harness itself at the start of a run. */
export interface MachineLimits {
  threads: number;
  isa: string;
  readBandwidthGBs: { one: number; all: number };
  fmaPeakGflops: { one: number; all: number };
}

/** One figure of one implementation in one case. `impl` starting with 'reckit' marks ours. */
export interface Measurement {
  case: string;
  impl: string;
  threads: number;
  value: number;
  unit: string;
  better: 'lower' | 'higher';
  /** Fraction of the machine limit (0..1), where meaningful. */
  ofLimit?: number;
  extra?: Record<string, number | string>;
}

export interface SuiteContext {
  limits: MachineLimits;
  /** Smaller sizes and fewer runs (used by the harness's own test and for a quick look). */
  quick: boolean;
  /** Records a remark printed under the table (e.g. a skipped peer and why). */
  note(message: string): void;
  /**
   * `cuda` (`--device cuda`, and CUDA usable): suites that have a device path also measure it (the CPU rows
   * stay, for the ratios). `cpu` otherwise (runBench prints why it fell back).
   */
  device: 'cpu' | 'cuda';
}

export interface Suite {
  name: string;
  description: string;
  /** The suite measures a device path under `--device cuda` (others say they measured the CPU only). */
  hasDevicePath?: boolean;
  run(ctx: SuiteContext): Promise<Measurement[]>;
}

export interface Timing {
  medianMs: number;
  minMs: number;
  runs: number;
}

export interface TimeOptions {
  minRuns?: number;
  minSeconds?: number;
  warmup?: number;
}

function summarize(samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { medianMs: median, minMs: sorted[0], runs: sorted.length };
}

/** Times a synchronous function: warm-up runs, then at least minRuns runs and minSeconds seconds. */
export function timeSync(fn: () => void, options: TimeOptions = {}): Timing {
  const { minRuns = 5, minSeconds = 1, warmup = 1 } = options;
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  const start = process.hrtime.bigint();
  while (samples.length < minRuns || Number(process.hrtime.bigint() - start) / 1e9 < minSeconds) {
    const t0 = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (samples.length >= 10000) break;
  }
  return summarize(samples);
}

/** Times an async function the same way (each run awaited before the next). */
export async function timeAsync(fn: () => Promise<unknown>, options: TimeOptions = {}): Promise<Timing> {
  const { minRuns = 5, minSeconds = 1, warmup = 1 } = options;
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  const start = process.hrtime.bigint();
  while (samples.length < minRuns || Number(process.hrtime.bigint() - start) / 1e9 < minSeconds) {
    const t0 = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (samples.length >= 10000) break;
  }
  return summarize(samples);
}

export type PythonResult = { ok: true; value: any } | { ok: false; reason: string }; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Runs `/usr/bin/python3 -c code` and parses the last stdout line as JSON. OPENBLAS_CORETYPE and
 * OPENBLAS_L2_SIZE are removed from the child's environment (they slow current OpenBLAS builds).
 */
export function runPython(code: string, env: Record<string, string> = {}): Promise<PythonResult> {
  return new Promise((resolve) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
    delete childEnv.OPENBLAS_CORETYPE;
    delete childEnv.OPENBLAS_L2_SIZE;
    let stdout = '';
    let stderr = '';
    const child = spawn('/usr/bin/python3', ['-c', code], { env: childEnv });
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (error) => resolve({ ok: false, reason: `python3 unavailable (${error.message})` }));
    child.on('close', (status) => {
      if (status !== 0) {
        const last = stderr.trim().split('\n').pop() ?? '';
        resolve({ ok: false, reason: last.includes('ModuleNotFoundError') ? last : `python3 exited ${status}: ${last}` });
        return;
      }
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve({ ok: true, value: JSON.parse(line) });
      } catch {
        resolve({ ok: false, reason: `python3 printed no JSON (${line.slice(0, 80)})` });
      }
    });
  });
}

/**
 * Python lines (top level) that set `blas_libs`: the BLAS/LAPACK libraries the process has loaded, as real
 * paths from /proc/self/maps. Debian's numpy/faiss/torch link the generic libblas.so.3, so only the resolved
 * path tells OpenBLAS (…/openblas-pthread/libblas.so.3) from the slow reference BLAS (…/blas/libblas.so.3).
 */
export const PY_BLAS_LIBS = `
import re as _re
blas_libs = sorted({_l.split()[-1] for _l in open('/proc/self/maps') if _l.split()[-1].startswith('/') and _re.search(r'(blas|lapack|mkl|blis)[^/]*$', _l.split()[-1].lower())})
`;

/** Names the BLAS behind a peer from its `blas_libs`, and whether peer figures on it are meaningful. */
export function describeBlas(libs: string[] | undefined): { name: string; fair: boolean; text: string } {
  const all = (libs ?? []).join(' ');
  const name = /openblas/i.test(all) ? 'OpenBLAS' : /mkl/i.test(all) ? 'MKL' : /blis/i.test(all) ? 'BLIS'
    : /libblas\.so/.test(all) ? 'reference BLAS' : 'no BLAS loaded';
  const fair = name !== 'reference BLAS';
  const text = `${name}${libs && libs.length ? ` (${libs.join(', ')})` : ''}` +
    (fair ? '' : ': peer figures are far below an optimized build; run bench/install-peers.sh (libopenblas0-pthread)');
  return { name, fair, text };
}

/** Loads an optional npm peer, or returns null when it is not installed. */
export function tryRequire<T = any>(name: string): T | null { // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    return require(name) as T;
  } catch {
    return null;
  }
}

/** A deterministic Float32Array of uniform values in [-1, 1) for bench inputs (not for tests). */
export function benchData(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let state = (seed >>> 0) || 1;
  for (let i = 0; i < n; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = (state >>> 0) / 2 ** 31 - 1;
  }
  return out;
}
