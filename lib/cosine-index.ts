/**
 * CosineIndex: exact top-k retrieval by cosine similarity or inner product over vectors with the caller's
 * integer ids, in f32 or reduced storage (bf16, f16, int8 with a per-vector scale, optionally reranked in
 * f32 so the ids equal the f32 index's). The scan fuses scoring and selection natively; this file checks
 * arguments and shapes results.
 */
import { dimMismatch, invalidArg, outOfRange } from './errors';
import type { Isa } from './info';
import { EmbeddingTable } from './embedding-table';
import { native } from './native';
import type { Device } from './random';
import { requireInteger, requireObject, requireOneOf } from './validate';

/** `cosine`: vectors (and queries) are normalized, score = cos(q, x). `ip`: score = q . x as given. */
export type Metric = 'cosine' | 'ip';
/** How the scanned vectors are stored: float32, bfloat16, float16, or int8 with a per-vector scale. */
export type Storage = 'f32' | 'bf16' | 'f16' | 'i8';

/**
 * Ids: non-negative integers. Numbers up to 2^53-1 (`number[]`, `Float64Array`), a `Uint32Array` (the
 * fast path), or a `BigUint64Array` / `bigint[]` for ids up to 2^63-1.
 */
export type Ids = readonly number[] | readonly bigint[] | Float64Array | Uint32Array | BigUint64Array;
/** One id: a safe non-negative integer or a bigint below 2^63. */
export type Id = number | bigint;

export interface CosineIndexOptions {
  dim: number;
  /** Default `cosine`. A zero vector is an error under `cosine`. */
  metric?: Metric;
  /** Default `f32`. */
  storage?: Storage;
  /**
   * Reduced storage only: keep f32 copies and recompute the candidates' scores in f32 with a margin that
   * provably contains the true top-k, so results equal the f32 index's (ids, order and scores).
   */
  rerank?: boolean;
  /** Run on this ISA's kernels instead of the active ones (tests and benchmarks). */
  isa?: Isa;
  /** Where searches run (default `auto`: CUDA when usable, else the CPU). See {@link DeviceOption}. */
  device?: Device;
}

/**
 * `device`: where searches run. `cuda` keeps a copy of the scanned vectors on the GPU (uploaded on the first
 * search, and again after add/upsert/remove) and throws `ERR_RECKIT_NO_DEVICE` with the reason when CUDA is
 * not usable; `auto` (the default) then quietly uses the CPU; `cpu` never touches the GPU. Results equal the
 * CPU's ids (with `rerank`, ids and scores). A device failure during a search (out of device memory:
 * `ERR_RECKIT_OUT_OF_MEMORY`) moves the index back to the CPU, where it keeps working.
 */
export interface DeviceOption {
  device?: Device;
}

/** Per-query exclusions in CSR form: query i excludes `ids[offsets[i] .. offsets[i + 1])`. */
export interface Exclusions {
  ids: Ids;
  /** n + 1 non-decreasing offsets from 0 to ids.length. */
  offsets: Uint32Array | readonly number[] | Float64Array;
}

export interface SearchOptions {
  /** Results per query (an integer >= 1; may exceed the index size). */
  k: number;
  /** Ids each query must not return (e.g. items a user already bought). Unknown ids are ignored. */
  exclude?: Exclusions;
  /** An allow-list (only these ids) or a deny-list (never these ids) for every query. Unknown ids are ignored. */
  filter?: { allow: Ids } | { deny: Ids };
  /** Return ids as a BigInt64Array (needed when ids exceed 2^53-1). */
  bigint?: boolean;
}

/**
 * Results of n queries, row-major n x k, best first (higher score, then smaller id). When fewer than k
 * eligible vectors exist, the remaining slots hold id -1 and score -Infinity.
 */
export interface SearchResult<I extends Float64Array | BigInt64Array = Float64Array> {
  ids: I;
  scores: Float32Array;
  /** Results per query. */
  k: number;
}

export interface MemoryUsage {
  /** Bytes of the scanned matrix (and int8 scales). */
  vectors: number;
  /** Bytes of the f32 copies kept for the rerank. */
  rerank: number;
  /** Bytes of the id arrays and id map (estimated). */
  ids: number;
  /** Host bytes: vectors + rerank + ids. */
  total: number;
  /** Bytes of the device copy (0 on the CPU, or before the first device search). */
  device: number;
}

export interface LoadOptions {
  /** Map the file read-only instead of reading it (processes share one copy; the first write copies). */
  mmap?: boolean;
  isa?: Isa;
  device?: Device;
}

const METRICS = ['cosine', 'ip'] as const;
const STORAGES = ['f32', 'bf16', 'f16', 'i8'] as const;
const ISAS = ['avx512', 'avx2', 'neon', 'portable'] as const;
const DEVICES = ['auto', 'cpu', 'cuda'] as const;
const MAX_ID = (1n << 63n) - 1n;

/** Normalizes ids to a typed array the native layer reads (it checks each value again). */
export function toIdArray(ids: unknown, name: string): Float64Array | Uint32Array | BigUint64Array {
  if (ids instanceof Uint32Array || ids instanceof Float64Array || ids instanceof BigUint64Array) return ids;
  if (!Array.isArray(ids)) throw invalidArg(`${name} must be an array of ids, a Uint32Array, Float64Array or BigUint64Array`);
  if (ids.some((v) => typeof v === 'bigint')) {
    const out = new BigUint64Array(ids.length);
    ids.forEach((v, i) => {
      if (typeof v !== 'bigint') throw invalidArg(`${name}[${i}] must be a bigint like the other ids`);
      if (v < 0n || v > MAX_ID) throw outOfRange(`${name}[${i}] must be in [0, 2^63-1]`);
      out[i] = v;
    });
    return out;
  }
  const out = new Float64Array(ids.length);
  ids.forEach((v, i) => {
    if (typeof v !== 'number') throw invalidArg(`${name}[${i}] must be a number or bigint`);
    if (!Number.isSafeInteger(v) || v < 0) throw outOfRange(`${name}[${i}] must be an integer in [0, 2^53-1] (got ${v})`);
    out[i] = v;
  });
  return out;
}

function requireId(id: unknown, name: string): Id {
  if (typeof id === 'bigint') {
    if (id < 0n || id > MAX_ID) throw outOfRange(`${name} must be in [0, 2^63-1]`);
    return id;
  }
  return requireInteger(id, name, 0);
}

function requireQueries(queries: unknown, dim: number): Float32Array {
  if (!(queries instanceof Float32Array)) throw invalidArg('queries must be a Float32Array of n x dim values');
  if (queries.length === 0 || queries.length % dim !== 0) {
    throw dimMismatch(`queries must hold n x dim values with n >= 1 (dim ${dim}, got ${queries.length})`);
  }
  return queries;
}

function isaOf(value: unknown): Isa | undefined {
  return value === undefined ? undefined : requireOneOf(value, 'isa', ISAS);
}

function deviceOf(value: unknown): Device {
  return value === undefined ? 'auto' : requireOneOf(value, 'options.device', DEVICES);
}

/** Moves a freshly built native index to `device`; on failure (cuda unavailable) frees it before throwing. */
function placed(n: NativeIndex, device: Device): NativeIndex {
  if (device === 'cpu') return n;
  try {
    n.setDevice(device);
  } catch (error) {
    n.dispose();
    throw error;
  }
  return n;
}

type NativeIndex = Record<string, (...args: unknown[]) => unknown>;
type SearchArgs = [Float32Array, number, unknown, unknown, unknown, unknown, boolean];

export class CosineIndex {
  readonly #native: NativeIndex;
  readonly #dim: number;
  readonly #metric: Metric;
  readonly #storage: Storage;
  readonly #rerank: boolean;

  constructor(options: CosineIndexOptions);
  /** @internal */
  constructor(options: CosineIndexOptions, wrapped: NativeIndex);
  constructor(options: CosineIndexOptions, wrapped?: NativeIndex) {
    if (wrapped) {
      this.#native = wrapped;
    } else {
      const o = requireObject(options, 'options');
      if (o.dim === undefined) throw invalidArg('options.dim is required');
      const config = {
        dim: requireInteger(o.dim, 'options.dim', 1, 65536),
        metric: o.metric === undefined ? 'cosine' : requireOneOf(o.metric, 'options.metric', METRICS),
        storage: o.storage === undefined ? 'f32' : requireOneOf(o.storage, 'options.storage', STORAGES),
        rerank: o.rerank === undefined ? false : requireBoolean(o.rerank, 'options.rerank'),
        isa: isaOf(o.isa),
      };
      const device = deviceOf(o.device);
      const Ctor = native().NativeCosineIndex as new (c: object) => NativeIndex;
      this.#native = placed(new Ctor(config), device);
    }
    const i = this.#native.info() as { dim: number; metric: Metric; storage: Storage; rerank: boolean };
    this.#dim = i.dim;
    this.#metric = i.metric;
    this.#storage = i.storage;
    this.#rerank = i.rerank;
  }

  /** Dimension of every vector and query. */
  get dim(): number {
    return this.#dim;
  }
  get metric(): Metric {
    return this.#metric;
  }
  get storage(): Storage {
    return this.#storage;
  }
  /** Whether f32 copies are kept and candidates reranked (always false for f32 storage: already exact). */
  get rerank(): boolean {
    return this.#rerank;
  }
  /** Where searches run now: `cuda` or `cpu` (`auto` resolved; `cpu` again after a device failure). */
  get device(): 'cpu' | 'cuda' {
    return this.#native.device() as 'cpu' | 'cuda';
  }
  /** Number of vectors held. */
  get size(): number {
    return this.#native.size() as number;
  }

  /** Adds vectors (ids.length x dim values, row-major). Every id must be new; on any error nothing is added. */
  add(ids: Ids, vectors: Float32Array): void {
    this.#native.add(toIdArray(ids, 'ids'), this.#vectors(ids, vectors));
  }

  /** Adds new ids and replaces the vectors of existing ones. On any error nothing changes. */
  upsert(ids: Ids, vectors: Float32Array): void {
    this.#native.upsert(toIdArray(ids, 'ids'), this.#vectors(ids, vectors));
  }

  /** Removes ids; every id must be present (else nothing is removed). */
  remove(ids: Ids): void {
    this.#native.remove(toIdArray(ids, 'ids'));
  }

  has(id: Id): boolean {
    return this.#native.has(requireId(id, 'id')) as boolean;
  }

  /** The stored vector (normalized under `cosine`; decoded for reduced storage without rerank), or undefined. */
  get(id: Id): Float32Array | undefined {
    return this.#native.get(requireId(id, 'id')) as Float32Array | undefined;
  }

  /** Native bytes held by this index. */
  memoryUsage(): MemoryUsage {
    return this.#native.memoryUsage() as MemoryUsage;
  }

  /** Releases the native memory now; any later call (but `dim` and `dispose`) throws ERR_RECKIT_DISPOSED. */
  dispose(): void {
    this.#native.dispose();
  }

  /**
   * The k best vectors for each query (a Float32Array of n x dim values), computed off the event loop.
   * Runs concurrently with other searches; waits for (and blocks) add/upsert/remove.
   */
  search(queries: Float32Array, options: SearchOptions & { bigint: true }): Promise<SearchResult<BigInt64Array>>;
  search(queries: Float32Array, options: SearchOptions): Promise<SearchResult>;
  search(queries: Float32Array, options: SearchOptions): Promise<SearchResult<Float64Array | BigInt64Array>> {
    let args: SearchArgs;
    try {
      args = this.#searchArgs(queries, options);
    } catch (error) {
      return Promise.reject(error);
    }
    const k = args[1];
    return (this.#native.search(...args) as Promise<{ ids: Float64Array; scores: Float32Array }>).then((r) => ({ ...r, k }));
  }

  /** Like {@link search}, on the calling thread. */
  searchSync(queries: Float32Array, options: SearchOptions & { bigint: true }): SearchResult<BigInt64Array>;
  searchSync(queries: Float32Array, options: SearchOptions): SearchResult;
  searchSync(queries: Float32Array, options: SearchOptions): SearchResult<Float64Array | BigInt64Array> {
    const args = this.#searchArgs(queries, options);
    const r = this.#native.searchSync(...args) as { ids: Float64Array; scores: Float32Array };
    return { ...r, k: args[1] };
  }

  /** Writes the index to `path` atomically (safetensors with a checksum). */
  save(path: string): void {
    this.#native.save(requirePath(path));
  }

  /** Like {@link save}, off the event loop. */
  saveAsync(path: string): Promise<void> {
    try {
      return this.#native.saveAsync(requirePath(path)) as Promise<void>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The index as a safetensors image (what {@link save} writes). */
  toBuffer(): Buffer {
    return this.#native.toBuffer() as Buffer;
  }

  /** Reads an index written by {@link save}; every size, offset and the checksum are checked. */
  static load(path: string, options?: LoadOptions): CosineIndex {
    const o = requireObject(options, 'options');
    const mmap = o.mmap === undefined ? false : requireBoolean(o.mmap, 'options.mmap');
    const device = deviceOf(o.device);
    const Native = native().NativeCosineIndex as { load(p: string, m: boolean, isa?: Isa): NativeIndex };
    return CosineIndex.#wrap(placed(Native.load(requirePath(path), mmap, isaOf(o.isa)), device));
  }

  /** Like {@link load}, off the event loop. */
  static loadAsync(path: string, options?: LoadOptions): Promise<CosineIndex> {
    try {
      const o = requireObject(options, 'options');
      const mmap = o.mmap === undefined ? false : requireBoolean(o.mmap, 'options.mmap');
      const device = deviceOf(o.device);
      const Native = native().NativeCosineIndex as { loadAsync(p: string, m: boolean, isa?: Isa): Promise<NativeIndex> };
      return Native.loadAsync(requirePath(path), mmap, isaOf(o.isa)).then((n) => CosineIndex.#wrap(placed(n, device)));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Reads an index from a {@link toBuffer} image (copied; the buffer may be reused afterwards). */
  static fromBuffer(buffer: Uint8Array, options?: { isa?: Isa; device?: Device }): CosineIndex {
    if (!(buffer instanceof Uint8Array)) throw invalidArg('buffer must be a Uint8Array or Buffer');
    const o = requireObject(options, 'options');
    const device = deviceOf(o.device);
    const Native = native().NativeCosineIndex as { fromBuffer(b: Uint8Array, isa?: Isa): NativeIndex };
    return CosineIndex.#wrap(placed(Native.fromBuffer(buffer, isaOf(o.isa)), device));
  }

  /**
   * An index over the rows of an EmbeddingTable, read natively in place (no JS copy of the table): row r
   * gets id `ids[r]` (default r). The rows are copied into the index (normalized for `cosine`), so later
   * table updates do not reach the index.
   */
  static fromTable(table: EmbeddingTable, options?: FromTableOptions): CosineIndex {
    const [handle, config, ids, device] = fromTableArgs(table, options);
    const Native = native().NativeCosineIndex as { fromTable(t: unknown, c: object, ids?: unknown): NativeIndex };
    return CosineIndex.#wrap(placed(Native.fromTable(handle, config, ids), device));
  }

  /** {@link fromTable} off the event loop (the table may be read, not written, meanwhile). */
  static fromTableAsync(table: EmbeddingTable, options?: FromTableOptions): Promise<CosineIndex> {
    try {
      const [handle, config, ids, device] = fromTableArgs(table, options);
      const Native = native().NativeCosineIndex as { fromTableAsync(t: unknown, c: object, ids?: unknown): Promise<NativeIndex> };
      return Native.fromTableAsync(handle, config, ids).then((n) => CosineIndex.#wrap(placed(n, device)));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  static #wrap(n: NativeIndex): CosineIndex {
    const i = n.info() as CosineIndexOptions;
    return new CosineIndex(i, n);
  }

  #vectors(ids: Ids, vectors: unknown): Float32Array {
    if (!(vectors instanceof Float32Array)) throw invalidArg('vectors must be a Float32Array');
    if (vectors.length !== ids.length * this.#dim) {
      throw dimMismatch(
        `vectors must hold ids.length x dim = ${ids.length} x ${this.#dim} values (got ${vectors.length})`,
      );
    }
    return vectors;
  }

  #searchArgs(queries: unknown, options: SearchOptions): SearchArgs {
    const q = requireQueries(queries, this.#dim);
    const o = requireObject(options, 'options');
    if (o.k === undefined) throw invalidArg('options.k is required');
    const k = requireInteger(o.k, 'options.k', 1, 2 ** 31);
    let excludeIds: unknown;
    let excludeOffsets: unknown;
    if (o.exclude !== undefined) {
      const e = requireObject(o.exclude, 'options.exclude');
      excludeIds = toIdArray(e.ids, 'options.exclude.ids');
      const offsets = e.offsets instanceof Uint32Array ? e.offsets : toIdArray(e.offsets, 'options.exclude.offsets');
      const n = q.length / this.#dim;
      if (offsets.length !== n + 1) {
        throw dimMismatch(`options.exclude.offsets must have n + 1 = ${n + 1} entries (got ${offsets.length})`);
      }
      excludeOffsets = offsets;
    }
    let filterIds: unknown;
    let filterAllow: unknown;
    if (o.filter !== undefined) {
      const f = requireObject(o.filter, 'options.filter');
      const hasAllow = f.allow !== undefined;
      const hasDeny = f.deny !== undefined;
      if (hasAllow === hasDeny) throw invalidArg('options.filter must have exactly one of allow or deny');
      filterIds = toIdArray(hasAllow ? f.allow : f.deny, hasAllow ? 'options.filter.allow' : 'options.filter.deny');
      filterAllow = hasAllow;
    }
    const bigint = o.bigint === undefined ? false : requireBoolean(o.bigint, 'options.bigint');
    return [q, k, excludeIds, excludeOffsets, filterIds, filterAllow, bigint];
  }
}

export interface FromTableOptions {
  /** One id per table row (default: the row numbers). */
  ids?: Ids;
  metric?: Metric;
  storage?: Storage;
  rerank?: boolean;
  isa?: Isa;
  device?: Device;
}

function fromTableArgs(table: unknown, options: FromTableOptions | undefined): [unknown, object, unknown, Device] {
  if (!(table instanceof EmbeddingTable)) throw invalidArg('table must be an EmbeddingTable');
  const o = requireObject(options, 'options');
  const config = {
    dim: table.dim,
    metric: o.metric === undefined ? 'cosine' : requireOneOf(o.metric, 'options.metric', METRICS),
    storage: o.storage === undefined ? 'f32' : requireOneOf(o.storage, 'options.storage', STORAGES),
    rerank: o.rerank === undefined ? false : requireBoolean(o.rerank, 'options.rerank'),
    isa: isaOf(o.isa),
  };
  const ids = o.ids === undefined ? undefined : toIdArray(o.ids, 'options.ids');
  if (ids !== undefined && ids.length !== table.rows) {
    throw dimMismatch(`options.ids must have one id per table row (${table.rows}, got ${ids.length})`);
  }
  return [table.nativeHandle, config, ids, deviceOf(o.device)];
}

function requireBoolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw invalidArg(`${name} must be a boolean`);
  return value;
}

function requirePath(path: unknown): string {
  if (typeof path !== 'string' || path.length === 0) throw invalidArg('path must be a non-empty string');
  return path;
}
