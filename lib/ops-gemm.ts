/**
 * `ops.gemm`: reckit's own float32 GEMM (packed, register-blocked micro-kernels per ISA, threaded on the
 * compute pool) with a fused epilogue, exposed for tests, benchmarks and custom layers.
 * Row-major: C[m×n] = act(alpha · op(A) · op(B) + beta · C + bias), op(X) = X or Xᵀ.
 */
import { dimMismatch, invalidArg, reckitError } from './errors';
import { info, type Isa } from './info';
import { native } from './native';
import { requireFloat32Array, requireInteger, requireNumber, requireObject, requireOneOf } from './validate';

/** The activations the GEMM epilogue (and the Mlp layers) apply element-wise. */
export type Activation = 'linear' | 'relu' | 'leaky_relu' | 'tanh' | 'sigmoid';

/** Shape, scaling and epilogue of {@link gemm}. */
export interface GemmOptions {
  /** Rows of op(A) and C. */
  m: number;
  /** Columns of op(B) and C. */
  n: number;
  /** Columns of op(A), rows of op(B). */
  k: number;
  /** A is stored transposed (k×m). Default false. */
  transA?: boolean;
  /** B is stored transposed (n×k). Default false. */
  transB?: boolean;
  /** Scale of the product. Default 1. */
  alpha?: number;
  /** Scale of the existing C (needs `c`). 0 (the default) means C is write-only: its old values are ignored. */
  beta?: number;
  /** Output (updated in place and returned); default: a new m×n Float32Array. Must not overlap a, b or bias. */
  c?: Float32Array;
  /** n values added to every row after scaling, before the activation. */
  bias?: Float32Array;
  /** Applied element-wise last. Default 'linear'. */
  activation?: Activation;
  /** leaky_relu's negative slope α (default 0.01). */
  slope?: number;
  /** Row strides (elements) of A, B, C as stored; default: their row lengths. */
  lda?: number;
  ldb?: number;
  ldc?: number;
  /**
   * The backward pass's gate: C is finally multiplied element-wise by gateActivation'(y), y = gate[i][j] being
   * the output of that activation (m×n, row stride `ldGate`, default n). It turns dL/dy into dL/dz in the same
   * pass that computes dL/dy. Must not overlap c.
   */
  gate?: Float32Array;
  ldGate?: number;
  /** The activation whose derivative the gate applies. Default 'linear'. */
  gateActivation?: Activation;
  /** gateActivation leaky_relu's α (default 0.01). */
  gateSlope?: number;
  /** Run this ISA's kernels (must be supported; for tests and benchmarks). Default: the active ISA. CPU only. */
  isa?: Isa;
  /**
   * Where the product runs. Default `'cpu'`: the inputs live on the host and a single stateless call would pay
   * the upload, the download and the device allocations every time (docs/cuda.md, "ops.gemm"). `'cuda'` runs the
   * reckit_cuda library's tiled kernel (`ERR_RECKIT_NO_DEVICE` with the reason where CUDA is unusable;
   * `ERR_RECKIT_INVALID_ARG` with `gate` or `isa`, which the device kernel does not take). `'auto'`: CUDA when a
   * device is there and the options allow it, else the CPU. Results agree with the CPU's within float rounding
   * (another summation order), not bit for bit.
   */
  device?: 'auto' | 'cpu' | 'cuda';
}

const ISAS = ['avx512', 'avx2', 'neon', 'portable'] as const;
const DEVICES = ['auto', 'cpu', 'cuda'] as const;
const ACTIVATIONS = ['linear', 'relu', 'leaky_relu', 'tanh', 'sigmoid'] as const;
const MAX_DIM = 2 ** 31;

function optionalBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw invalidArg(`${name} must be a boolean`);
  return value;
}

// 'auto' resolved: CUDA when usable and the call has no CPU-only option (gate, isa); 'cuda' where it is unusable
// or with a CPU-only option is an error rather than a silent CPU run.
function resolveGemmDevice(value: unknown, cpuOnly: string | undefined): 'cpu' | 'cuda' {
  const device = value === undefined ? 'cpu' : requireOneOf(value, 'options.device', DEVICES);
  if (device === 'cpu') return 'cpu';
  if (device === 'cuda' && cpuOnly) throw invalidArg(`options.${cpuOnly} runs on the CPU only; it cannot be combined with device 'cuda'`);
  const cuda = info().cuda;
  if (device === 'auto') return cuda.available && !cpuOnly ? 'cuda' : 'cpu';
  if (!cuda.available) throw reckitError('ERR_RECKIT_NO_DEVICE', `CUDA is not available: ${cuda.reason}`);
  return 'cuda';
}

type NativeArgs = [Float32Array, Float32Array, Float32Array | undefined, Float32Array | undefined, Record<string, unknown>];

// Type and presence checks; the native side checks lengths, strides, finiteness and overlap.
function prepare(a: unknown, b: unknown, options: unknown): NativeArgs {
  const x = requireFloat32Array(a, 'a');
  const y = requireFloat32Array(b, 'b');
  if (options === undefined) throw invalidArg('options must be an object with m, n, k');
  const o = requireObject(options, 'options');
  const m = requireInteger(o.m, 'options.m', 0, MAX_DIM);
  const n = requireInteger(o.n, 'options.n', 0, MAX_DIM);
  const k = requireInteger(o.k, 'options.k', 0, MAX_DIM);
  const c = o.c === undefined ? undefined : requireFloat32Array(o.c, 'options.c');
  const bias = o.bias === undefined ? undefined : requireFloat32Array(o.bias, 'options.bias');
  if (bias && bias.length !== n) throw dimMismatch(`options.bias must have n = ${n} elements (got ${bias.length})`);
  const rest: Record<string, unknown> = {
    m,
    n,
    k,
    transA: optionalBoolean(o.transA, 'options.transA'),
    transB: optionalBoolean(o.transB, 'options.transB'),
    alpha: o.alpha === undefined ? undefined : requireNumber(o.alpha, 'options.alpha'),
    beta: o.beta === undefined ? undefined : requireNumber(o.beta, 'options.beta'),
    activation: o.activation === undefined ? undefined : requireOneOf(o.activation, 'options.activation', ACTIVATIONS),
    slope: o.slope === undefined ? undefined : requireNumber(o.slope, 'options.slope'),
    lda: o.lda === undefined ? undefined : requireInteger(o.lda, 'options.lda', 1, MAX_DIM),
    ldb: o.ldb === undefined ? undefined : requireInteger(o.ldb, 'options.ldb', 1, MAX_DIM),
    ldc: o.ldc === undefined ? undefined : requireInteger(o.ldc, 'options.ldc', 1, MAX_DIM),
    isa: o.isa === undefined ? undefined : requireOneOf(o.isa, 'options.isa', ISAS),
    gate: o.gate === undefined ? undefined : requireFloat32Array(o.gate, 'options.gate'),
    ldGate: o.ldGate === undefined ? undefined : requireInteger(o.ldGate, 'options.ldGate', 1, MAX_DIM),
    gateActivation: o.gateActivation === undefined ? undefined : requireOneOf(o.gateActivation, 'options.gateActivation', ACTIVATIONS),
    gateSlope: o.gateSlope === undefined ? undefined : requireNumber(o.gateSlope, 'options.gateSlope'),
  };
  rest.device = resolveGemmDevice(o.device, rest.gate !== undefined ? 'gate' : rest.isa !== undefined ? 'isa' : undefined);
  return [x, y, c, bias, rest];
}

/**
 * C = act(alpha · op(A) · op(B) + beta · C + bias) [⊙ gateActivation'(gate)], row-major, float32. Returns `options.c` (updated in
 * place) or a new m×n array. Non-finite inputs, short arrays, strides below the row length and outputs
 * that overlap an input are errors (`.code` ERR_RECKIT_*). Deterministic for a given thread count.
 */
export function gemm(a: Float32Array, b: Float32Array, options: GemmOptions): Float32Array {
  return native().gemm(...prepare(a, b, options)) as Float32Array;
}

/** Like {@link gemm}, computed off the event loop; a, b, c and bias must not be modified until it settles. */
export function gemmAsync(a: Float32Array, b: Float32Array, options: GemmOptions): Promise<Float32Array> {
  try {
    return native().gemmAsync(...prepare(a, b, options)) as Promise<Float32Array>;
  } catch (error) {
    return Promise.reject(error);
  }
}
