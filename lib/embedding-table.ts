/**
 * EmbeddingTable: a rows × dim float32 table of embeddings with lookups, pooled bags (PyTorch
 * EmbeddingBag semantics), their sparse backward, and fused sparse optimizer steps (SGD, Adagrad, lazy
 * Adam) that touch only the rows of a batch. The arithmetic runs in the native core; this file checks
 * arguments, picks sync or async, and names things.
 */
import { invalidArg } from './errors';
import type { Isa } from './info';
import { native, type NativeBinding } from './native';
import type { Device } from './random';
import {
  requireFloat32Array,
  requireInteger,
  requireNumber,
  requireObject,
  requireOneOf,
  requireSeed,
} from './validate';

/** Row numbers: an `Int32Array`, a `Uint32Array` (read in place) or an array of integers (converted). */
export type Ids = Int32Array | Uint32Array | readonly number[];

/** How a bag's rows are pooled. */
export type PoolMode = 'sum' | 'mean' | 'max';

/** The sparse optimizers of {@link EmbeddingTable.step}. */
export type SparseOptimizerKind = 'sgd' | 'adagrad' | 'adam';

/** Seeded initial values (Philox stream 0 of `seed`: the same table on any thread count). */
export interface EmbeddingInit {
  /** `normal`: N(mean, std²) (default std 1, PyTorch's nn.Embedding); `uniform`: U(range); `zeros`. */
  kind: 'normal' | 'uniform' | 'zeros';
  /** Standard deviation of `normal` (default 1). */
  std?: number;
  /** Mean of `normal` (default 0). */
  mean?: number;
  /** `uniform` bounds: `r` means [-r, r), or `[low, high)` (default `[-1, 1)`). */
  range?: number | readonly [number, number];
  /** A non-negative safe integer or a bigint below 2^64 (default 0). */
  seed?: number | bigint;
}

export interface EmbeddingTableOptions {
  rows: number;
  dim: number;
  /** Default `{ kind: 'normal', std: 1, seed: 0 }`. */
  init?: EmbeddingInit;
  /** Where the rows live: see {@link DeviceOption}. */
  device?: Device;
}

export interface DeviceOption {
  /**
   * `auto` (default): CUDA device memory when CUDA is usable (`info().cuda.available`) and the device can
   * hold the table, else host memory, without an error. An `auto` table that later runs out of device memory
   * (a step creating its optimizer state, a batch's buffers) moves back to the CPU with its rows and
   * optimizer state, and the call that ran out completes there: watch {@link EmbeddingTable.device}.
   * `cuda`: the rows and the optimizer state live in device memory and lookups, backward and `step` run
   * there (`ERR_RECKIT_NO_DEVICE`, with `info().cuda.reason`, when CUDA is not usable;
   * `ERR_RECKIT_OUT_OF_MEMORY`, with the table unchanged, when the device is full). `cpu`: host memory, the
   * GPU never touched (the choice for a table read or written row by row in a loop, where each device call
   * pays a transfer). `get`, `data`, `save`, `toBuffer` and `clone` copy from the device. Results equal the
   * CPU's within float rounding (sum/mean gradients are summed in the same order; see docs/cuda.md).
   */
  device?: Device;
}

export interface BagOptions {
  /** Default `'sum'`. `mean` divides by the bag's length (weights included in the sum, not the divisor). */
  mode?: PoolMode;
  /** One weight per id; each row is scaled by its weight before pooling (also for `max`). */
  weights?: Float32Array;
}

export interface KernelChoice {
  /** Run on this ISA's kernels instead of the active ones (for tests and benchmarks). */
  isa?: Isa;
}

export interface OutputOption {
  /**
   * Write the result here (exactly rows-of-result × dim floats) instead of a new array, so a loop can
   * reuse one buffer; it is also the returned value. For async calls it must not be read until the
   * promise settles.
   */
  out?: Float32Array;
}

/** A sparse gradient: each touched row once, ascending, with its summed gradient. */
export interface SparseGradient {
  rows: Uint32Array;
  /** `rows.length × dim`, row-major. */
  grads: Float32Array;
  /** d loss / d weights[i] (only when the batch had weights). */
  weightGrads?: Float32Array;
}

export interface StepOptions extends BagOptions {
  optimizer: SparseOptimizerKind;
  /** Learning rate (>= 0). */
  lr: number;
  /** L2 weight decay added to the gradient of touched rows only (default 0). */
  weightDecay?: number;
  /** Adagrad default 1e-10, Adam 1e-8. */
  eps?: number;
  /** Adam β1 (default 0.9). */
  beta1?: number;
  /** Adam β2 (default 0.999). */
  beta2?: number;
}

export interface StepResult {
  /** Unique rows updated. */
  rowsTouched: number;
  /** d loss / d weights[i] computed before the update (only when the batch had weights). */
  weightGrads?: Float32Array;
}

export interface SaveOptions {
  /** Also write the optimizer state (Adagrad sums or Adam moments and per-row step counts). Default false. */
  optimizerState?: boolean;
}

export interface LoadOptions {
  /**
   * Map the file read-only instead of reading it: processes that map one file share one copy of the
   * rows in the page cache. The table is then read-only (writes raise `ERR_RECKIT_INVALID_ARG`); the file
   * must not be modified in place while mapped (reckit's own saves replace it atomically, which is safe).
   */
  mmap?: boolean;
  /** Also load the optimizer state saved with the table (not with `mmap`). Default false. */
  optimizerState?: boolean;
  /**
   * Where the loaded table lives: see {@link DeviceOption} (default `auto`; a mapped table stays on the CPU
   * under `auto`, since `mmap` asks for host pages shared between processes).
   */
  device?: Device;
}

export interface EmbeddingMemoryUsage {
  /** Bytes of the rows (owned, or mapped from a file when `mapped`). */
  tableBytes: number;
  /** Bytes of optimizer state (Adagrad: rows × dim floats; Adam: 2 × rows × dim floats + rows step counts). */
  optimizerBytes: number;
  mapped: boolean;
  /** Bytes held in CUDA device memory (the rows and optimizer state of a `device: 'cuda'` table; 0 on the CPU). */
  deviceBytes: number;
  /**
   * Host bytes held between calls: table + optimizer state on the CPU; 0 for a device table (it keeps no host
   * copy: reads copy what they return from the device), the mapped rows' bytes for a mapped one.
   */
  totalBytes: number;
}

const MODES = ['sum', 'mean', 'max'] as const;
const DEVICES = ['auto', 'cpu', 'cuda'] as const;
const OPTIMIZERS = ['sgd', 'adagrad', 'adam'] as const;
const ISAS = ['avx512', 'avx2', 'neon', 'portable'] as const;
const MAX_ROWS = 2 ** 32;
const MAX_DIM = 65536;
const ADOPT = Symbol('adopt');

/** Ids as a typed array the native side reads in place; plain arrays are checked and converted. */
function idArray(value: unknown, name: string): Int32Array | Uint32Array {
  if (value instanceof Int32Array || value instanceof Uint32Array) return value;
  if (Array.isArray(value)) {
    const out = new Uint32Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (typeof v !== 'number') throw invalidArg(`${name}[${i}] must be a number`);
      out[i] = requireInteger(v, `${name}[${i}]`, 0, MAX_ROWS - 1);
    }
    return out;
  }
  throw invalidArg(`${name} must be an Int32Array, a Uint32Array or an array of integers`);
}

function bagArgs(offsets: unknown, options: BagOptions | undefined, offsetsOptional: boolean) {
  const o = requireObject(options, 'options');
  const mode = o.mode === undefined ? 'sum' : requireOneOf(o.mode, 'options.mode', MODES);
  const weights = o.weights === undefined ? undefined : requireFloat32Array(o.weights, 'options.weights');
  const off = offsetsOptional && (offsets === null || offsets === undefined) ? null : idArray(offsets, 'offsets');
  return { o, mode, weights, off };
}

function outOf(options: OutputOption | undefined): Float32Array | undefined {
  const o = requireObject(options, 'options');
  return o.out === undefined ? undefined : requireFloat32Array(o.out, 'options.out');
}

function isaOf(options: KernelChoice | undefined): Isa | undefined {
  const o = requireObject(options, 'options');
  return o.isa === undefined ? undefined : requireOneOf(o.isa, 'options.isa', ISAS);
}

function stepConfig(o: Record<string, unknown>): Record<string, unknown> {
  const optimizer = requireOneOf(o.optimizer, 'options.optimizer', OPTIMIZERS);
  const config: Record<string, unknown> = { optimizer, lr: requireNumber(o.lr, 'options.lr') };
  for (const key of ['weightDecay', 'eps', 'beta1', 'beta2']) {
    if (o[key] !== undefined) config[key] = requireNumber(o[key], `options.${key}`);
  }
  return config;
}

function requirePath(path: unknown): string {
  if (typeof path !== 'string' || path.length === 0) throw invalidArg('path must be a non-empty string');
  return path;
}

function saveOptions(options: SaveOptions | undefined): boolean {
  const o = requireObject(options, 'options');
  if (o.optimizerState !== undefined && typeof o.optimizerState !== 'boolean') throw invalidArg('options.optimizerState must be a boolean');
  return o.optimizerState === true;
}

function loadOptions(options: LoadOptions | undefined): { mmap: boolean; optimizerState: boolean; device: Device } {
  const o = requireObject(options, 'options');
  for (const key of ['mmap', 'optimizerState']) {
    if (o[key] !== undefined && typeof o[key] !== 'boolean') throw invalidArg(`options.${key} must be a boolean`);
  }
  const mmap = o.mmap === true;
  const device = deviceOf(o);
  return { mmap, optimizerState: o.optimizerState === true, device: mmap && device === 'auto' ? 'cpu' : device };
}

function deviceOf(o: Record<string, unknown>): Device {
  return o.device === undefined ? 'auto' : requireOneOf(o.device, 'options.device', DEVICES);
}

/** The native constructor's (rows, dim, kind, p1, p2, seed) from the public options. */
function initArgs(options: EmbeddingTableOptions): [number, number, string, number, number, number | bigint] {
  const o = requireObject(options, 'options');
  const rows = requireInteger(o.rows, 'options.rows', 1, MAX_ROWS);
  const dim = requireInteger(o.dim, 'options.dim', 1, MAX_DIM);
  const init = requireObject(o.init ?? { kind: 'normal' }, 'options.init');
  const kind = requireOneOf(init.kind, 'options.init.kind', ['normal', 'uniform', 'zeros'] as const);
  const seed = init.seed === undefined ? 0 : requireSeed(init.seed, 'options.init.seed');
  let p1 = 0;
  let p2 = 0;
  if (kind === 'normal') {
    p1 = init.mean === undefined ? 0 : requireNumber(init.mean, 'options.init.mean');
    p2 = init.std === undefined ? 1 : requireNumber(init.std, 'options.init.std');
  } else if (kind === 'uniform') {
    const range = init.range ?? 1;
    if (typeof range === 'number') {
      const r = requireNumber(range, 'options.init.range');
      [p1, p2] = [-r, r];
    } else if (Array.isArray(range) && range.length === 2) {
      p1 = requireNumber(range[0], 'options.init.range[0]');
      p2 = requireNumber(range[1], 'options.init.range[1]');
    } else {
      throw invalidArg('options.init.range must be a number or a [low, high] pair');
    }
  }
  return [rows, dim, kind, p1, p2, seed];
}

function rejecting<T>(body: () => Promise<T>): Promise<T> {
  try {
    return body();
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * A rows × dim float32 embedding table.
 *
 * Reads (lookups, backward, `get`, `data`) may run concurrently, including async ones; writes (`set`,
 * `step`) are exclusive. Every batch is validated in one pass before anything is read or written, so a
 * bad id, offset, weight or gradient raises a JS error with its `code` and leaves the table unchanged.
 */
export class EmbeddingTable {
  #native: NativeBinding;
  readonly #rows: number;
  readonly #dim: number;

  constructor(options: EmbeddingTableOptions);
  /** @internal */
  constructor(options: EmbeddingTableOptions | typeof ADOPT, adopted?: unknown);
  constructor(options: EmbeddingTableOptions | typeof ADOPT, adopted?: unknown) {
    const Native = native().EmbeddingTable;
    if (options === ADOPT) {
      this.#native = new Native(adopted);
    } else {
      const args = initArgs(options);
      const device = deviceOf(requireObject(options, 'options'));
      this.#native = new Native(...args);
      if (device !== 'cpu') {
        try {
          this.#native.toDevice(device);
        } catch (error) {
          this.#native.dispose();
          throw error;
        }
      }
    }
    [this.#rows, this.#dim] = this.#native.shape() as [number, number];
  }

  /** Like `new EmbeddingTable(options)`, with the allocation and the seeded fill off the event loop. */
  static createAsync(options: EmbeddingTableOptions): Promise<EmbeddingTable> {
    return rejecting(async () => {
      const args = initArgs(options);
      const device = deviceOf(requireObject(options, 'options'));
      return EmbeddingTable.adopted(await native().embeddingTableCreateAsync(...args), device, true);
    });
  }

  /** A table holding a copy of `data` (rows × dim finite values, row-major). */
  static fromArray(rows: number, dim: number, data: Float32Array | readonly number[], options?: DeviceOption): EmbeddingTable {
    const values = Array.isArray(data) ? Float32Array.from(data as number[]) : requireFloat32Array(data, 'data');
    const device = deviceOf(requireObject(options, 'options'));
    return EmbeddingTable.adopted(
      native().embeddingTableFromArray(requireInteger(rows, 'rows', 1, MAX_ROWS), requireInteger(dim, 'dim', 1, MAX_DIM), values),
      device,
      false,
    ) as EmbeddingTable;
  }

  /**
   * Loads a table saved by {@link save} (a safetensors file with reckit's metadata and checksum). Every
   * size, offset and the checksum are checked: a truncated or corrupt file raises `ERR_RECKIT_CORRUPT_FILE`,
   * a missing one `ERR_RECKIT_IO`.
   */
  static load(path: string, options?: LoadOptions): EmbeddingTable {
    const o = loadOptions(options);
    return EmbeddingTable.adopted(native().embeddingTableLoad(requirePath(path), o.mmap, o.optimizerState), o.device, false) as EmbeddingTable;
  }

  /** {@link load} off the event loop (reading, checksum and checks run on a worker thread). */
  static loadAsync(path: string, options?: LoadOptions): Promise<EmbeddingTable> {
    return rejecting(async () => {
      const o = loadOptions(options);
      return EmbeddingTable.adopted(await native().embeddingTableLoadAsync(requirePath(path), o.mmap, o.optimizerState), o.device, true);
    });
  }

  /** A table from the bytes of {@link toBuffer} (validated like {@link load}). */
  static fromBuffer(buffer: Uint8Array, options?: Omit<LoadOptions, 'mmap'>): EmbeddingTable {
    if (!(buffer instanceof Uint8Array)) throw invalidArg('buffer must be a Buffer or Uint8Array');
    const o = loadOptions(options);
    return EmbeddingTable.adopted(native().embeddingTableFromBuffer(buffer, o.optimizerState), o.device, false) as EmbeddingTable;
  }

  /** {@link fromBuffer} off the event loop (the buffer must not change until the promise settles). */
  static fromBufferAsync(buffer: Uint8Array, options?: Omit<LoadOptions, 'mmap'>): Promise<EmbeddingTable> {
    return rejecting(async () => {
      if (!(buffer instanceof Uint8Array)) throw invalidArg('buffer must be a Buffer or Uint8Array');
      const o = loadOptions(options);
      return EmbeddingTable.adopted(await native().embeddingTableFromBufferAsync(buffer, o.optimizerState), o.device, true);
    });
  }

  /** @internal Wraps a native table handle (an External) produced by a factory. */
  static adopt(handle: unknown): EmbeddingTable {
    return new EmbeddingTable(ADOPT, handle);
  }

  /** A factory's table moved to `device` (on the worker pool when `async`); a failed move disposes it. */
  private static adopted(handle: unknown, device: Device, async: false): EmbeddingTable;
  private static adopted(handle: unknown, device: Device, async: true): Promise<EmbeddingTable>;
  private static adopted(handle: unknown, device: Device, async: boolean): EmbeddingTable | Promise<EmbeddingTable> {
    const table = EmbeddingTable.adopt(handle);
    if (device === 'cpu') return async ? Promise.resolve(table) : table;
    if (!async) {
      try {
        table.#native.toDevice(device);
      } catch (error) {
        table.dispose();
        throw error;
      }
      return table;
    }
    return rejecting(() => table.#native.toDeviceAsync(device) as Promise<void>).then(
      () => table,
      (error: unknown) => {
        table.dispose();
        throw error;
      },
    );
  }

  /** @internal The native object (for bindings that read the table in place, e.g. a CosineIndex). */
  get nativeHandle(): NativeBinding {
    return this.#native;
  }

  get rows(): number {
    return this.#rows;
  }

  get dim(): number {
    return this.#dim;
  }

  /** Where the rows live now: `cuda` (device memory) or `cpu` (an `auto` table moves here when the device is full). */
  get device(): 'cpu' | 'cuda' {
    return this.#native.device() as 'cpu' | 'cuda';
  }

  /** True for a table memory-mapped from a file: writes raise `ERR_RECKIT_INVALID_ARG`. */
  get readOnly(): boolean {
    return this.#native.readOnly() as boolean;
  }

  get disposed(): boolean {
    return this.#native.disposed() as boolean;
  }

  /** A copy of one row. */
  get(row: number): Float32Array {
    return this.#native.get(requireInteger(row, 'row', 0, MAX_ROWS)) as Float32Array;
  }

  /** Overwrites one row with `dim` finite values. */
  set(row: number, vector: Float32Array): void {
    this.#native.set(requireInteger(row, 'row', 0, MAX_ROWS), requireFloat32Array(vector, 'vector'));
  }

  /** A copy of the whole table (rows × dim, row-major); later changes to the table do not show in it. */
  data(): Float32Array {
    return this.#native.data() as Float32Array;
  }

  /** The rows of `ids`, as ids.length × dim. */
  lookup(ids: Ids, options?: KernelChoice & OutputOption): Float32Array {
    return this.#native.lookup(idArray(ids, 'ids'), isaOf({ isa: options?.isa }), outOf(options)) as Float32Array;
  }

  /** {@link lookup} off the event loop (ids are copied first, so they may be reused at once). */
  lookupAsync(ids: Ids, options?: OutputOption): Promise<Float32Array> {
    return rejecting(() => this.#native.lookupAsync(idArray(ids, 'ids'), outOf(options)) as Promise<Float32Array>);
  }

  /**
   * Pooled bags, as bags × dim. `offsets[b]` is where bag b starts in `ids` (PyTorch EmbeddingBag without
   * `include_last_offset`): offsets[0] must be 0, non-decreasing, at most ids.length; the last bag ends at
   * ids.length. An empty bag yields zeros in every mode.
   */
  lookupBag(ids: Ids, offsets: Ids, options?: BagOptions & KernelChoice & OutputOption): Float32Array {
    const { mode, weights, off } = bagArgs(offsets, options, false);
    return this.#native.lookupBag(idArray(ids, 'ids'), off, mode, weights, isaOf({ isa: options?.isa }), outOf(options)) as Float32Array;
  }

  /** {@link lookupBag} off the event loop. */
  lookupBagAsync(ids: Ids, offsets: Ids, options?: BagOptions & OutputOption): Promise<Float32Array> {
    return rejecting(() => {
      const { mode, weights, off } = bagArgs(offsets, options, false);
      return this.#native.lookupBagAsync(idArray(ids, 'ids'), off, mode, weights, outOf(options)) as Promise<Float32Array>;
    });
  }

  /** The sparse gradient of {@link lookup}: gradOut is ids.length × dim; duplicate ids are summed. */
  lookupBackward(ids: Ids, gradOut: Float32Array): SparseGradient {
    return this.#native.backward(idArray(ids, 'ids'), null, 'sum', undefined, requireFloat32Array(gradOut, 'gradOut')) as SparseGradient;
  }

  /** {@link lookupBackward} off the event loop. */
  lookupBackwardAsync(ids: Ids, gradOut: Float32Array): Promise<SparseGradient> {
    return rejecting(() => this.#native.backwardAsync(idArray(ids, 'ids'), null, 'sum', undefined, requireFloat32Array(gradOut, 'gradOut')) as Promise<SparseGradient>);
  }

  /**
   * The sparse gradient of {@link lookupBag}: gradOut is bags × dim. Each touched row appears once
   * (ascending) with its gradient summed over its occurrences; for `max`, element d of a bag's gradient
   * goes to the first position holding that bag's maximum. With weights, also d loss / d weights.
   */
  bagBackward(ids: Ids, offsets: Ids, gradOut: Float32Array, options?: BagOptions): SparseGradient {
    const { mode, weights, off } = bagArgs(offsets, options, false);
    return this.#native.backward(idArray(ids, 'ids'), off, mode, weights, requireFloat32Array(gradOut, 'gradOut')) as SparseGradient;
  }

  /** {@link bagBackward} off the event loop. */
  bagBackwardAsync(ids: Ids, offsets: Ids, gradOut: Float32Array, options?: BagOptions): Promise<SparseGradient> {
    return rejecting(() => {
      const { mode, weights, off } = bagArgs(offsets, options, false);
      return this.#native.backwardAsync(idArray(ids, 'ids'), off, mode, weights, requireFloat32Array(gradOut, 'gradOut')) as Promise<SparseGradient>;
    });
  }

  /**
   * The bag backward and a sparse optimizer update in one pass: only rows in `ids` change, each once,
   * with its summed gradient. `offsets === null` treats every id as its own bag (the step of a plain
   * {@link lookup}; gradOut is then ids.length × dim).
   *
   * - `sgd`: w -= lr·g
   * - `adagrad`: G += g²; w -= lr·g / (√G + eps) — per-element accumulator, stored row by row
   * - `adam`: lazy Adam — each row keeps its own step count t_r, incremented only when the row is touched,
   *   and the bias corrections use t_r (as TensorFlow's LazyAdam / PyTorch's SparseAdam); moments of
   *   untouched rows do not decay.
   *
   * `weightDecay` adds wd·w to the gradient of touched rows. Optimizer state is created on the first
   * step (zeros) and kept with the table; stepping with another stateful optimizer requires
   * {@link resetOptimizer}. Deterministic for a given thread count. A gradient with NaN/Inf is rejected
   * before any row changes.
   */
  step(ids: Ids, offsets: Ids | null, gradOut: Float32Array, options: StepOptions): StepResult {
    const { o, mode, weights, off } = bagArgs(offsets, options, true);
    return this.#native.step(idArray(ids, 'ids'), off, mode, weights, requireFloat32Array(gradOut, 'gradOut'), stepConfig(o)) as StepResult;
  }

  /** {@link step} off the event loop. */
  stepAsync(ids: Ids, offsets: Ids | null, gradOut: Float32Array, options: StepOptions): Promise<StepResult> {
    return rejecting(() => {
      const { o, mode, weights, off } = bagArgs(offsets, options, true);
      return this.#native.stepAsync(idArray(ids, 'ids'), off, mode, weights, requireFloat32Array(gradOut, 'gradOut'), stepConfig(o)) as Promise<StepResult>;
    });
  }

  /** The optimizer whose state the table holds (`null` before the first stateful step). */
  get optimizerState(): SparseOptimizerKind | null {
    return this.#native.optimizerState() as SparseOptimizerKind | null;
  }

  /** Drops optimizer state (Adagrad accumulators, Adam moments and step counts). */
  resetOptimizer(): void {
    this.#native.resetOptimizer();
  }

  /** Native bytes held by the table and its optimizer state (0 after dispose). */
  memoryUsage(): EmbeddingMemoryUsage {
    return this.#native.memoryUsage() as EmbeddingMemoryUsage;
  }

  /** An owned, writable copy (with optimizer state); also the way to write to a mapped table's data. */
  clone(): EmbeddingTable {
    return EmbeddingTable.adopt(this.#native.clone());
  }

  /**
   * Writes the table (and optionally its optimizer state) as a safetensors file: to a temporary file
   * that is fsynced and renamed over `path`, so readers never see a half-written file.
   */
  save(path: string, options?: SaveOptions): void {
    this.#native.save(requirePath(path), saveOptions(options));
  }

  /** {@link save} off the event loop (the table is read-locked while it is written). */
  saveAsync(path: string, options?: SaveOptions): Promise<void> {
    return rejecting(() => this.#native.saveAsync(requirePath(path), saveOptions(options)) as Promise<void>);
  }

  /** The bytes {@link save} would write. */
  toBuffer(options?: SaveOptions): Buffer {
    return this.#native.toBuffer(saveOptions(options)) as Buffer;
  }

  /** {@link toBuffer} off the event loop. */
  toBufferAsync(options?: SaveOptions): Promise<Buffer> {
    return rejecting(() => this.#native.toBufferAsync(saveOptions(options)) as Promise<Buffer>);
  }

  /** Releases the native memory now; later calls raise `ERR_RECKIT_DISPOSED`. Idempotent. */
  dispose(): void {
    this.#native.dispose();
  }
}
