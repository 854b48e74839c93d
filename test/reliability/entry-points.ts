/**
 * Every public entry point of reckit, one row each, for the bad-input matrix (bad-input.test.ts).
 * A row names the call, the subject it runs on (a fresh small object per case, with a fingerprint that
 * must not change when a call fails), and each argument's valid value and kind (bad-values.ts). Adding
 * an entry point is adding a row here: the generator crosses its arguments with their kinds' hostile
 * values, adds use-after-dispose and dispose-while-in-flight for methods, and runs it all in child processes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CFGAN, CosineIndex, EmbeddingTable, Gan, Mlp, TabularSynthesizer, computeLoss, createModel, fromRows, loadModel,
  mergeTopK, ops, random, readSafetensors, setThreads, getThreads, writeSafetensors, xxh64, tabular,
  type Recommender,
} from '../../lib/index';
import * as V from './bad-values';
import type { Expect, Variant } from './bad-values';

/** A fresh object to call methods on, and what must stay the same when a call on it fails. */
export interface Subject<T = any> {
  make(): T | Promise<T>;
  fingerprint(t: T): unknown;
  dispose(t: T): void;
}

export interface Arg {
  name: string;
  /** A fresh valid value (called once per case). */
  valid: () => unknown;
  variants: Variant[];
}

export interface Case {
  name: string;
  args: () => unknown[];
  expect: Expect;
}

export interface Entry<T = any> {
  name: string;
  subject?: Subject<T>;
  /** Returns a promise for async entry points: errors must then arrive as rejections, not throws. */
  call: (t: T, ...args: any[]) => unknown;
  args: Arg[];
  async?: boolean;
  /** What a call after dispose() gives (default ERR_RECKIT_DISPOSED; memoryUsage() reports zeros). */
  afterDispose?: Expect;
  /** The code an in-flight call may reject with when the subject is disposed (default ERR_RECKIT_DISPOSED). */
  disposedInFlight?: string;
  /** Extra hand-written cases (argument combinations the per-argument variants do not reach). */
  cases?: Case[];
}

const arg = (name: string, valid: () => unknown, ...variants: Variant[][]): Arg => ({ name, valid, variants: variants.flat() });
const only = (variants: Variant[], skip: string[]): Variant[] => variants.filter((v) => !skip.includes(v.name));
const expecting = (variants: Variant[], overrides: Record<string, Expect>): Variant[] =>
  variants.map((v) => (v.name in overrides ? { ...v, expect: overrides[v.name] } : v));

/** Deterministic small values (no library RNG, so a broken RNG cannot hide a case). */
export function values(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1 + 0.01;
  }
  return out;
}

let scratch: string | undefined;
/** A per-process temporary directory for saved files. */
export function tmp(name: string): string {
  scratch ??= mkdtempSync(join(tmpdir(), 'reckit-bad-input-'));
  return join(scratch, name);
}

// ---- subjects ------------------------------------------------------------------------------------
const DIM = 4;
const QUERY = values(2 * DIM, 9);

export const indexSubject: Subject<CosineIndex> = {
  make() {
    const index = new CosineIndex({ dim: DIM });
    index.add([10, 11, 12, 13, 14, 15], values(6 * DIM, 3));
    return index;
  },
  fingerprint: (i) => [i.size, i.searchSync(QUERY, { k: 8 })],
  dispose: (i) => i.dispose(),
};

const ROWS = 8;
export const tableSubject: Subject<EmbeddingTable> = {
  make: () => EmbeddingTable.fromArray(ROWS, DIM, values(ROWS * DIM, 4)),
  fingerprint: (t) => [t.data(), t.optimizerState],
  dispose: (t) => t.dispose(),
};

const LAYERS = [{ units: 5, activation: 'relu' as const }, { units: 2 }];
const MLP_PARAMS = 3 * 5 + 5 + 5 * 2 + 2;
export const mlpSubject: Subject<Mlp> = {
  make() {
    const mlp = new Mlp({ input: 3, layers: LAYERS, seed: 1 });
    mlp.forward(values(6, 5)); // so backward() has activations to use
    return mlp;
  },
  fingerprint: (m) => m.parameters(),
  dispose: (m) => m.dispose(),
};

const GAN_OPTIONS = { dataDim: 2, noiseDim: 3, generator: [{ units: 4, activation: 'relu' as const }], discriminator: [{ units: 4 }], seed: 2 };
export const ganSubject: Subject<Gan> = {
  make: () => new Gan(GAN_OPTIONS),
  fingerprint: (g) => [g.parameters(), g.epochs],
  dispose: (g) => g.dispose(),
};

const LOG = [
  { user: 'a', item: 1 }, { user: 'a', item: 2 }, { user: 'b', item: 2 }, { user: 'b', item: 3 }, { user: 'c', item: 1 },
];

/** Bytes of a saved object, made once per process. */
const images = new Map<string, Uint8Array>();
function image(kind: string): Uint8Array {
  if (!images.has(kind)) {
    const make: Record<string, () => Uint8Array> = {
      index: () => { const i = indexSubject.make() as CosineIndex; return i.toBuffer(); },
      table: () => tableSubject.make().toBuffer(),
      mlp: () => (mlpSubject.make() as Mlp).toBuffer(),
      gan: () => ganSubject.make().toBuffer(),
      tensors: () => writeSafetensors(null, { w: { dtype: 'F32', shape: [2, 2], data: values(4) } }, { note: 'x' }),
    };
    images.set(kind, make[kind]());
  }
  return new Uint8Array(images.get(kind)!); // a copy (Buffer#slice would share memory)
}

/** A saved file of each kind, written once per process. */
function saved(kind: string): string {
  const file = tmp(`valid-${kind}.safetensors`);
  const bytes = image(kind);
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  require('node:fs').writeFileSync(file, bytes);
  return file;
}

// ---- argument kinds shared by several rows -----------------------------------------------------------
const rowIds = (valid: () => unknown) => arg('ids', valid, V.ids, V.boundedIds(ROWS));
const pathArg = (file: string) => arg('path', () => tmp(file), V.path);
const optionsArg = (valid: () => unknown = () => undefined) => arg('options', valid, V.options);
const idOne = (valid: number) =>
  arg('id', () => valid, only(V.integer(0), ['-1 (below min)', 'bigint']), [
    { name: '-1n', make: () => -1n, expect: V.RANGE },
    { name: '2^63n', make: () => 2n ** 63n, expect: V.RANGE },
  ]);
const searchK = arg('k', () => 3, expecting(V.integer(1), { '2^53': V.RANGE }), [
  { name: '2^31 + 1', make: () => 2 ** 31 + 1, expect: V.RANGE },
  { name: '2^31 (n x k above 2^28 slots)', make: () => 2 ** 31, expect: V.RANGE },
]);

// ---- the table --------------------------------------------------------------------------------------
const search = (async: boolean): Entry<CosineIndex> => ({
  name: `CosineIndex#${async ? 'search' : 'searchSync'}`,
  subject: indexSubject,
  async,
  call: (i, q, k, options) => (async ? i.search(q, { k, ...options }) : i.searchSync(q, { k, ...options })),
  args: [
    arg('queries', () => QUERY.slice(), expecting(V.f32, { 'one long': V.DIM })),
    searchK,
    arg('options', () => ({}), [
      { name: 'exclude offsets short', make: () => ({ exclude: { ids: [10], offsets: [0, 1] } }), expect: V.DIM },
      { name: 'exclude offsets past end', make: () => ({ exclude: { ids: [10], offsets: [0, 1, 5] } }), expect: V.RANGE },
      { name: 'exclude offsets decreasing', make: () => ({ exclude: { ids: [10, 11], offsets: [0, 2, 1] } }), expect: V.RANGE },
      { name: 'exclude offsets NaN', make: () => ({ exclude: { ids: [10], offsets: [0, NaN, 1] } }), expect: V.RANGE },
      { name: 'exclude ids negative', make: () => ({ exclude: { ids: [-1], offsets: [0, 1, 1] } }), expect: V.RANGE },
      { name: 'exclude not an object', make: () => ({ exclude: 5 }), expect: V.INVALID },
      { name: 'filter allow and deny', make: () => ({ filter: { allow: [1], deny: [2] } }), expect: V.INVALID },
      { name: 'filter neither', make: () => ({ filter: {} }), expect: V.INVALID },
      { name: 'filter deny 2^53', make: () => ({ filter: { deny: [2 ** 53] } }), expect: V.RANGE },
      { name: 'filter allow detached', make: () => ({ filter: { allow: V.detached(new Uint32Array(3)) } }), expect: V.OK },
      { name: 'bigint not boolean', make: () => ({ bigint: 1 }), expect: V.INVALID },
    ]),
  ],
});

const indexWrite = (method: 'add' | 'upsert'): Entry<CosineIndex> => ({
  name: `CosineIndex#${method}`,
  subject: indexSubject,
  call: (i, ids, vectors) => i[method](ids, vectors),
  args: [
    arg('ids', () => [100, 101], V.ids, [
      { name: 'BigUint64Array 2^63', make: () => BigUint64Array.from([1n << 63n, 5n]), expect: V.RANGE },
      { name: 'bigint[] mixed with numbers', make: () => [1n, 2], expect: V.INVALID },
    ]),
    arg('vectors', () => values(2 * DIM, 6), V.f32, [
      { name: 'a zero vector (cosine)', make: () => new Float32Array(2 * DIM).fill(1, 0, DIM), expect: V.RANGE },
    ]),
  ],
  cases: method === 'add' ? [{ name: 'existing id', args: () => [[10], values(DIM)], expect: V.INVALID }] : [],
});

const indexEntries: Entry[] = [
  {
    name: 'new CosineIndex',
    call: (_, dim, metric, storage, rerank, isa, device) => new CosineIndex({ dim, metric, storage, rerank, isa, device }),
    args: [
      arg('dim', () => 4, V.integer(1), [{ name: '65537', make: () => 65537, expect: V.RANGE }]),
      arg('metric', () => 'ip', V.oneOf),
      arg('storage', () => 'i8', V.oneOf),
      arg('rerank', () => true, V.boolean),
      arg('isa', () => 'portable', V.oneOf),
      arg('device', () => 'auto', V.oneOf),
    ],
  },
  indexWrite('add'),
  indexWrite('upsert'),
  {
    name: 'CosineIndex#remove',
    subject: indexSubject,
    call: (i, ids) => i.remove(ids),
    args: [arg('ids', () => [11, 12], V.ids)],
    cases: [
      { name: 'unknown id', args: () => [[11, 999]], expect: V.RANGE },
      { name: 'repeated id', args: () => [[11, 11]], expect: V.INVALID },
    ],
  },
  { name: 'CosineIndex#has', subject: indexSubject, call: (i, id) => i.has(id), args: [idOne(12)] },
  { name: 'CosineIndex#get', subject: indexSubject, call: (i, id) => i.get(id), args: [idOne(12)] },
  search(true),
  search(false),
  { name: 'CosineIndex#save', subject: indexSubject, call: (i, p) => i.save(p), args: [pathArg('index-save.st')] },
  { name: 'CosineIndex#saveAsync', subject: indexSubject, async: true, call: (i, p) => i.saveAsync(p), args: [pathArg('index-save-async.st')] },
  { name: 'CosineIndex#toBuffer', subject: indexSubject, call: (i) => i.toBuffer(), args: [] },
  { name: 'CosineIndex#memoryUsage', subject: indexSubject, afterDispose: V.OK, call: (i) => i.memoryUsage(), args: [] },
  {
    name: 'CosineIndex.load',
    call: (_, p, o) => CosineIndex.load(p, o),
    args: [arg('path', () => saved('index'), V.loadPath), optionsArg(() => ({ mmap: true })), ],
  },
  {
    name: 'CosineIndex.loadAsync',
    async: true,
    call: (_, p, o) => CosineIndex.loadAsync(p, o),
    args: [arg('path', () => saved('index'), V.loadPath), optionsArg()],
  },
  {
    name: 'CosineIndex.fromBuffer',
    call: (_, b, o) => CosineIndex.fromBuffer(b, o),
    args: [arg('buffer', () => image('index'), V.image, [
      { name: 'an EmbeddingTable image', make: () => image('table'), expect: V.CORRUPT },
    ]), optionsArg()],
  },
  {
    name: 'mergeTopK',
    call: (_, results, k) => mergeTopK(results, k),
    args: [
      arg('results', () => [{ ids: Float64Array.from([1, 2]), scores: Float32Array.from([0.9, 0.5]) }], [
        { name: 'empty array', make: () => [], expect: V.INVALID },
        { name: 'not an array', make: () => 'x', expect: V.INVALID },
        { name: 'ids/scores lengths differ', make: () => [{ ids: Float64Array.from([1, 2]), scores: Float32Array.from([0.9]) }], expect: V.DIM },
        { name: 'ids number[]', make: () => [{ ids: [1, 2], scores: Float32Array.from([0.9, 0.5]) }], expect: V.INVALID },
        { name: 'mixed id types', make: () => [
          { ids: Float64Array.from([1, 2]), scores: Float32Array.from([0.9, 0.5]) },
          { ids: BigInt64Array.from([1n, 2n]), scores: Float32Array.from([0.9, 0.5]) }], expect: V.INVALID },
        { name: 'a null shard', make: () => [null], expect: V.INVALID },
      ]),
      arg('k', () => 2, V.integer(1)),
    ],
  },
];

const lookupEntries = (async: boolean): Entry<EmbeddingTable>[] => [
  {
    name: `EmbeddingTable#lookup${async ? 'Async' : ''}`,
    subject: tableSubject,
    async,
    call: (t, ids, options) => (async ? t.lookupAsync(ids, options) : t.lookup(ids, options)),
    args: [rowIds(() => [1, 7, 1]), optionsArg(() => ({ out: new Float32Array(3 * DIM) }))],
    cases: [
      { name: 'out too short', args: () => [[1, 2], { out: new Float32Array(DIM) }], expect: V.DIM },
      { name: 'out detached', args: () => [[1, 2], { out: V.detached(new Float32Array(2 * DIM)) }], expect: V.DIM },
      { name: 'out a Float64Array', args: () => [[1, 2], { out: new Float64Array(2 * DIM) }], expect: V.INVALID },
    ],
  },
  {
    // V8 aborts the process when an ArrayBuffer cannot be allocated: the binding must refuse first.
    name: `EmbeddingTable#lookup${async ? 'Async' : ''} (256 GB result)`,
    subject: { make: () => EmbeddingTable.fromArray(1, 65536, new Float32Array(65536)), fingerprint: (t: EmbeddingTable) => t.get(0).subarray(0, 4), dispose: (t: EmbeddingTable) => t.dispose() },
    async,
    call: (t, ids) => (async ? t.lookupAsync(ids) : t.lookup(ids)),
    args: [arg('ids', () => new Uint32Array(2), [{ name: '2^20 ids', make: () => new Uint32Array(2 ** 20), expect: V.OOM }])],
  },
  {
    name: `EmbeddingTable#lookupBag${async ? 'Async' : ''}`,
    subject: tableSubject,
    async,
    call: (t, ids, offsets, mode, weights) =>
      async ? t.lookupBagAsync(ids, offsets, { mode, weights }) : t.lookupBag(ids, offsets, { mode, weights }),
    args: [
      rowIds(() => [1, 2, 3, 7]),
      arg('offsets', () => [0, 2], only(V.ids, ['subarray view']), [
        { name: 'first not 0', make: () => [1, 2], expect: V.RANGE },
        { name: 'decreasing', make: () => [0, 3, 2], expect: V.RANGE },
        { name: 'past ids.length', make: () => [0, 5], expect: V.RANGE },
        { name: 'empty', make: () => [], expect: V.DIM },
      ]),
      arg('mode', () => 'mean', V.oneOf),
      arg('weights', () => undefined, [
        { name: 'short', make: () => values(3), expect: V.DIM },
        { name: 'NaN', make: () => Float32Array.from([1, NaN, 1, 1]), expect: V.RANGE },
        { name: 'Float64Array', make: () => new Float64Array(4), expect: V.INVALID },
      ]),
    ],
  },
  {
    name: `EmbeddingTable#lookupBackward${async ? 'Async' : ''}`,
    subject: tableSubject,
    async,
    call: (t, ids, g) => (async ? t.lookupBackwardAsync(ids, g) : t.lookupBackward(ids, g)),
    args: [rowIds(() => [1, 7, 1]), arg('gradOut', () => values(3 * DIM, 7), V.f32)],
  },
  {
    name: `EmbeddingTable#bagBackward${async ? 'Async' : ''}`,
    subject: tableSubject,
    async,
    call: (t, ids, offsets, g, mode) => (async ? t.bagBackwardAsync(ids, offsets, g, { mode }) : t.bagBackward(ids, offsets, g, { mode })),
    args: [
      rowIds(() => [1, 2, 3, 7]),
      arg('offsets', () => [0, 2], [{ name: 'decreasing', make: () => [0, 3, 2], expect: V.RANGE }]),
      arg('gradOut', () => values(2 * DIM, 8), V.f32),
      arg('mode', () => 'max', V.oneOf),
    ],
  },
  {
    name: `EmbeddingTable#step${async ? 'Async' : ''}`,
    subject: tableSubject,
    async,
    call: (t, ids, offsets, g, optimizer, lr) =>
      async ? t.stepAsync(ids, offsets, g, { optimizer, lr }) : t.step(ids, offsets, g, { optimizer, lr }),
    args: [
      rowIds(() => [1, 2, 3, 7]),
      arg('offsets', () => [0, 2], [{ name: 'past ids.length', make: () => [0, 9], expect: V.RANGE }]),
      arg('gradOut', () => values(2 * DIM, 9), V.f32),
      arg('optimizer', () => 'adam', V.oneOf),
      arg('lr', () => 0.01, V.finite),
    ],
  },
];

const tableEntries: Entry[] = [
  {
    name: 'new EmbeddingTable',
    call: (_, rows, dim, kind, std, seed, device) => new EmbeddingTable({ rows, dim, init: { kind, std, seed }, device }),
    args: [
      arg('rows', () => 3, V.integer(1), [{ name: '2^32 + 1', make: () => 2 ** 32 + 1, expect: V.RANGE }]),
      arg('dim', () => 2, V.integer(1), [{ name: '65537', make: () => 65537, expect: V.RANGE }]),
      arg('init.kind', () => 'normal', V.oneOf),
      arg('init.std', () => 0.5, V.finite),
      arg('init.seed', () => 3, V.seed),
      arg('device', () => 'cpu', V.oneOf),
    ],
    cases: [{ name: 'rows x dim too large to allocate', args: () => [2 ** 32, 65536, 'zeros', 1, 0], expect: V.OOM }],
  },
  {
    name: 'EmbeddingTable.createAsync',
    async: true,
    call: (_, rows, dim, device) => EmbeddingTable.createAsync({ rows, dim, device }),
    args: [arg('rows', () => 3, V.integer(1)), arg('dim', () => 2, V.integer(1)), arg('device', () => 'cpu', V.oneOf)],
  },
  {
    name: 'EmbeddingTable.fromArray',
    call: (_, rows, dim, data, o) => EmbeddingTable.fromArray(rows, dim, data, o),
    args: [
      arg('rows', () => 2, expecting(V.integer(1), { '2^53': V.RANGE })),
      arg('dim', () => 3, V.integer(1)),
      arg('data', () => values(6), only(V.f32, ['plain number[]'])),
      optionsArg(() => ({ device: 'cpu' })),
    ],
  },
  {
    name: 'EmbeddingTable.fromArray (device)',
    call: (_, device) => EmbeddingTable.fromArray(2, 3, values(6), { device }),
    args: [arg('options.device', () => 'cpu', V.oneOf)],
  },
  {
    name: 'EmbeddingTable.load (device)',
    call: (_, p, device) => EmbeddingTable.load(p, { device }),
    args: [arg('path', () => saved('table'), V.loadPath), arg('options.device', () => 'cpu', V.oneOf)],
  },
  {
    // under mmap, auto means the CPU; the device is still checked first
    name: 'EmbeddingTable.load (device, mmap)',
    call: (_, p, device) => EmbeddingTable.load(p, { device, mmap: true }),
    args: [arg('path', () => saved('table'), V.loadPath), arg('options.device', () => 'auto', V.oneOf)],
  },
  {
    name: 'EmbeddingTable.loadAsync (device)',
    async: true,
    call: (_, p, device) => EmbeddingTable.loadAsync(p, { device }),
    args: [arg('path', () => saved('table'), V.loadPath), arg('options.device', () => 'auto', V.oneOf)],
  },
  {
    name: 'EmbeddingTable.fromBuffer (device)',
    call: (_, b, device) => EmbeddingTable.fromBuffer(b, { device }),
    args: [arg('buffer', () => image('table'), V.image), arg('options.device', () => 'auto', V.oneOf)],
  },
  {
    name: 'EmbeddingTable.fromBufferAsync (device)',
    async: true,
    call: (_, b, device) => EmbeddingTable.fromBufferAsync(b, { device }),
    args: [arg('buffer', () => image('table'), V.image), arg('options.device', () => 'auto', V.oneOf)],
  },
  { name: 'EmbeddingTable#get', subject: tableSubject, call: (t, row) => t.get(row), args: [arg('row', () => 7, V.integer(0), [{ name: '8 (= rows)', make: () => 8, expect: V.RANGE }])] },
  {
    name: 'EmbeddingTable#set',
    subject: tableSubject,
    call: (t, row, v) => t.set(row, v),
    args: [arg('row', () => 7, V.integer(0), [{ name: '8 (= rows)', make: () => 8, expect: V.RANGE }]), arg('vector', () => values(DIM, 10), V.f32)],
  },
  ...lookupEntries(false),
  ...lookupEntries(true),
  { name: 'EmbeddingTable#data', subject: tableSubject, call: (t) => t.data(), args: [] },
  { name: 'EmbeddingTable#clone', subject: tableSubject, call: (t) => t.clone(), args: [] },
  { name: 'EmbeddingTable#memoryUsage', subject: tableSubject, afterDispose: V.OK, call: (t) => t.memoryUsage(), args: [] },
  { name: 'EmbeddingTable#resetOptimizer', subject: tableSubject, call: (t) => t.resetOptimizer(), args: [] },
  { name: 'EmbeddingTable#save', subject: tableSubject, call: (t, p, o) => t.save(p, o), args: [pathArg('table-save.st'), optionsArg(() => ({ optimizerState: true }))] },
  { name: 'EmbeddingTable#saveAsync', subject: tableSubject, async: true, call: (t, p, o) => t.saveAsync(p, o), args: [pathArg('table-save-async.st'), optionsArg()] },
  { name: 'EmbeddingTable#toBuffer', subject: tableSubject, call: (t, o) => t.toBuffer(o), args: [optionsArg()] },
  { name: 'EmbeddingTable#toBufferAsync', subject: tableSubject, async: true, call: (t, o) => t.toBufferAsync(o), args: [optionsArg()] },
  { name: 'EmbeddingTable.load', call: (_, p, o) => EmbeddingTable.load(p, o), args: [arg('path', () => saved('table'), V.loadPath), optionsArg(() => ({ mmap: true }))] },
  { name: 'EmbeddingTable.loadAsync', async: true, call: (_, p, o) => EmbeddingTable.loadAsync(p, o), args: [arg('path', () => saved('table'), V.loadPath), optionsArg()] },
  {
    name: 'EmbeddingTable.fromBuffer',
    call: (_, b, o) => EmbeddingTable.fromBuffer(b, o),
    args: [arg('buffer', () => image('table'), V.image, [{ name: 'a CosineIndex image', make: () => image('index'), expect: V.CORRUPT }]), optionsArg()],
  },
  {
    name: 'EmbeddingTable.fromBufferAsync',
    async: true,
    call: (_, b, o) => EmbeddingTable.fromBufferAsync(b, o),
    args: [arg('buffer', () => image('table'), V.image), optionsArg()],
  },
];

const mlpPredict = (method: 'forward' | 'forwardAsync' | 'predict' | 'predictAsync'): Entry<Mlp> => ({
  name: `Mlp#${method}`,
  subject: mlpSubject,
  async: method.endsWith('Async'),
  call: (m, x) => m[method](x),
  args: [arg('x', () => values(6, 11), V.f32)],
});

const mlpTrain = (async: boolean): Entry<Mlp> => ({
  name: `Mlp#${async ? 'train' : 'trainSync'}`,
  subject: mlpSubject,
  async,
  call: (m, x, y, epochs, batchSize, loss, device) =>
    (async ? m.train(x, y, { epochs, batchSize, loss, device }) : m.trainSync(x, y, { epochs, batchSize, loss, device })),
  args: [
    arg('x', () => values(12, 12), V.f32),
    arg('y', () => values(8, 13), V.f32),
    arg('epochs', () => 1, V.integer(1)),
    arg('batchSize', () => 2, V.integer(1)),
    arg('loss', () => 'mse', V.oneOf),
    arg('device', () => 'cpu', V.oneOf),
  ],
});

const modelLoaders = (name: 'Mlp' | 'Gan', Ctor: typeof Mlp | typeof Gan, kind: string): Entry[] => [
  { name: `${name}.load`, call: (_, p) => Ctor.load(p), args: [arg('path', () => saved(kind), V.loadPath)] },
  { name: `${name}.loadAsync`, async: true, call: (_, p) => Ctor.loadAsync(p), args: [arg('path', () => saved(kind), V.loadPath)] },
  {
    name: `${name}.fromBuffer`,
    call: (_, b) => Ctor.fromBuffer(b),
    args: [arg('buffer', () => image(kind), V.image, [{ name: 'a CosineIndex image', make: () => image('index'), expect: V.CORRUPT }])],
  },
];

const modelSaves = <T extends Mlp | Gan>(name: string, subject: Subject<T>): Entry<T>[] => [
  { name: `${name}#save`, subject, call: (m, p) => m.save(p), args: [pathArg(`${name}-save.st`)] },
  { name: `${name}#saveAsync`, subject, async: true, call: (m, p) => m.saveAsync(p), args: [pathArg(`${name}-save-async.st`)] },
  { name: `${name}#toBuffer`, subject, call: (m) => m.toBuffer(), args: [] },
];

const modelEntries: Entry[] = [
  {
    name: 'new Mlp',
    call: (_, input, layers, seed, device) => new Mlp({ input, layers, seed, device }),
    args: [
      arg('input', () => 3, V.integer(1), [{ name: '2^20 + 1', make: () => 2 ** 20 + 1, expect: V.RANGE }]),
      arg('layers', () => LAYERS, [
        { name: 'empty', make: () => [], expect: V.INVALID },
        { name: 'not an array', make: () => 'relu', expect: V.INVALID },
        { name: 'units 0', make: () => [{ units: 0 }], expect: V.RANGE },
        { name: 'units NaN', make: () => [{ units: NaN }], expect: V.RANGE },
        { name: 'unknown activation', make: () => [{ units: 2, activation: 'gelu9' }], expect: V.INVALID },
        { name: 'alpha 2', make: () => [{ units: 2, activation: 'leaky_relu', alpha: 2 }], expect: V.RANGE },
        { name: 'a null layer', make: () => [null], expect: V.INVALID },
      ]),
      arg('seed', () => 5, V.seed),
      arg('device', () => 'cpu', V.oneOf),
    ],
  },
  mlpPredict('forward'),
  mlpPredict('forwardAsync'),
  mlpPredict('predict'),
  mlpPredict('predictAsync'),
  ...(['predict', 'predictAsync', 'forward'] as const).map((method): Entry<Mlp> => ({
    name: `Mlp#${method} (256 GB result)`,
    subject: { make: () => new Mlp({ input: 1, layers: [{ units: 2 ** 20 }] }), fingerprint: (m: Mlp) => m.parameters().subarray(0, 4), dispose: (m: Mlp) => m.dispose() },
    async: method === 'predictAsync',
    call: (m, x) => m[method](x),
    args: [arg('x', () => new Float32Array(1), [{ name: '2^16 rows', make: () => new Float32Array(2 ** 16), expect: V.OOM }])],
  })),
  { name: 'Mlp#backward', subject: mlpSubject, call: (m, g) => m.backward(g), args: [arg('gradOut', () => values(4, 14), V.f32)] },
  {
    name: 'Mlp#step',
    subject: mlpSubject,
    call: (m, opt, grads) => m.step(opt, grads),
    args: [
      arg('optimizer', () => ({ type: 'sgd', lr: 0.1 }), V.options, [
        { name: 'lr 0', make: () => ({ type: 'sgd', lr: 0 }), expect: V.RANGE },
        { name: 'lr NaN', make: () => ({ type: 'adam', lr: NaN }), expect: V.RANGE },
        { name: 'unknown type', make: () => ({ type: 'lbfgs' }), expect: V.INVALID },
      ]),
      arg('grads', () => values(MLP_PARAMS, 15), V.f32),
    ],
  },
  { name: 'Mlp#setParameters', subject: mlpSubject, call: (m, p) => m.setParameters(p), args: [arg('parameters', () => values(MLP_PARAMS, 16), V.f32)] },
  { name: 'Mlp#parameters', subject: mlpSubject, call: (m) => m.parameters(), args: [] },
  { name: 'Mlp#setDevice', subject: mlpSubject, call: (m, d) => m.setDevice(d), args: [arg('device', () => 'cpu', V.oneOf)] },
  mlpTrain(true),
  mlpTrain(false),
  ...modelSaves('Mlp', mlpSubject),
  ...modelLoaders('Mlp', Mlp, 'mlp'),
  {
    name: 'computeLoss',
    call: (_, loss, out, target) => computeLoss(loss, out, target),
    args: [arg('loss', () => 'bce_with_logits', V.oneOf), arg('output', () => values(4, 17), V.f32), arg('target', () => values(4, 18), V.f32)],
  },
  {
    name: 'new Gan',
    call: (_, dataDim, noiseDim, conditionDim, outputActivation, seed) =>
      new Gan({ ...GAN_OPTIONS, dataDim, noiseDim, conditionDim, outputActivation, seed }),
    args: [
      arg('dataDim', () => 2, V.integer(1)),
      arg('noiseDim', () => 3, V.integer(1)),
      arg('conditionDim', () => 0, V.integer(0)),
      arg('outputActivation', () => 'tanh', V.oneOf),
      arg('seed', () => 1, V.seed),
    ],
  },
  {
    name: 'Gan#fit',
    subject: ganSubject,
    async: true,
    call: (g, data, epochs, batchSize, lr, conditions) => g.fit(data, { epochs, batchSize, lr, conditions }),
    args: [
      arg('data', () => values(8, 19), expecting(V.f32, { 'one short': V.DIM, 'one long': V.DIM })),
      arg('epochs', () => 1, V.integer(1)),
      arg('batchSize', () => 2, V.integer(1), [{ name: 'more than rows', make: () => 5, expect: V.RANGE }]),
      arg('lr', () => 0.001, V.finite, [{ name: '0', make: () => 0, expect: V.RANGE }]),
      arg('conditions', () => undefined, [{ name: 'on an unconditional Gan', make: () => values(4), expect: V.INVALID }]),
    ],
  },
  ...(['sample', 'sampleAsync'] as const).map((method): Entry<Gan> => ({
    name: `Gan#${method}`,
    subject: ganSubject,
    async: method === 'sampleAsync',
    call: (g, n, seed) => g[method](n, { seed }),
    args: [arg('n', () => 3, V.integer(1)), arg('seed', () => 4, V.seed)],
  })),
  ...(['sample', 'sampleAsync'] as const).map((method): Entry<Gan> => ({
    name: `Gan#${method} (256 GB result)`,
    subject: {
      make: () => new Gan({ dataDim: 2 ** 20, noiseDim: 1, generator: [{ units: 1 }], discriminator: [{ units: 1 }] }),
      fingerprint: (g: Gan) => g.epochs,
      dispose: (g: Gan) => g.dispose(),
    },
    async: method === 'sampleAsync',
    call: (g, n) => g[method](n),
    args: [arg('n', () => 1, [{ name: '2^16', make: () => 2 ** 16, expect: V.OOM }])],
  })),
  { name: 'Gan#generate', subject: ganSubject, call: (g, noise) => g.generate(noise), args: [arg('noise', () => values(6, 20), V.f32)] },
  { name: 'Gan#discriminate', subject: ganSubject, call: (g, d) => g.discriminate(d), args: [arg('data', () => values(4, 21), V.f32)] },
  { name: 'Gan#parameters', subject: ganSubject, call: (g) => g.parameters(), args: [] },
  ...modelSaves('Gan', ganSubject),
  ...modelLoaders('Gan', Gan, 'gan'),
  // The device option of the Gan family (auto resolves to the CPU where CUDA is not usable).
  { name: 'new Gan (device)', call: (_, device) => new Gan({ ...GAN_OPTIONS, device }), args: [arg('options.device', () => 'auto', V.oneOf)] },
  { name: 'Gan.fromBuffer (device)', call: (_, device) => Gan.fromBuffer(image('gan'), { device }), args: [arg('options.device', () => 'cpu', V.oneOf)] },
  { name: 'new TabularSynthesizer (device)', call: (_, device) => new TabularSynthesizer({ device }), args: [arg('options.device', () => 'auto', V.oneOf)] },
  { name: 'new CFGAN (device)', call: (_, device) => new CFGAN({ device }), args: [arg('options.device', () => 'auto', V.oneOf)] },
];

const vectorOp = (name: 'dot' | 'l2Squared' | 'cosine'): Entry => ({
  name: `ops.${name}`,
  call: (_, a, b, options) => ops[name](a, b, options),
  args: [
    arg('a', () => values(9, 22), V.f32),
    arg('b', () => values(9, 23), V.f32),
    arg('options', () => ({ isa: 'portable' }), V.options, [{ name: 'unknown isa', make: () => ({ isa: 'sse9' }), expect: V.INVALID }]),
  ],
});

const gemmEntry = (async: boolean): Entry => ({
  name: `ops.${async ? 'gemmAsync' : 'gemm'}`,
  async,
  call: (_, a, b, m, n, k, c, device) =>
    (async ? ops.gemmAsync(a, b, { m, n, k, c, device }) : ops.gemm(a, b, { m, n, k, c, device })),
  args: [
    arg('a', () => values(6, 24), expecting(V.f32, { 'one long': V.OK })),
    arg('b', () => values(12, 25), expecting(V.f32, { 'one long': V.OK })),
    arg('m', () => 2, V.integer(0), [{ name: '2^31', make: () => 2 ** 31, expect: V.DIM }]),
    arg('n', () => 4, V.integer(0)),
    arg('k', () => 3, V.integer(0)),
    arg('c', () => undefined, [
      { name: 'short c', make: () => new Float32Array(7), expect: V.DIM },
      { name: 'detached c', make: () => V.detached(new Float32Array(8)), expect: V.DIM },
    ]),
    arg('device', () => 'cpu', V.oneOf),
  ],
});

const randomFill = (name: 'uniform' | 'normal' | 'bits' | 'uniformAsync' | 'normalAsync'): Entry => ({
  name: `random.${name}`,
  async: name.endsWith('Async'),
  call: (_, n, seed, stream) => (random[name] as (n: number, o: object) => unknown)(n, { seed, stream }),
  args: [
    arg('n', () => 10, V.integer(0), [{ name: '2^32 + 1', make: () => 2 ** 32 + 1, expect: V.RANGE }]),
    arg('seed', () => 3, V.seed),
    arg('stream', () => 1n, V.seed),
  ],
});

const otherEntries: Entry[] = [
  vectorOp('dot'),
  vectorOp('l2Squared'),
  vectorOp('cosine'),
  { name: 'ops.norm', call: (_, a) => ops.norm(a), args: [arg('a', () => values(9, 26), expecting(V.f32, { 'one short': V.OK, 'one long': V.OK, detached: V.OK }))] },
  gemmEntry(false),
  gemmEntry(true),
  randomFill('uniform'),
  randomFill('normal'),
  randomFill('bits'),
  randomFill('uniformAsync'),
  randomFill('normalAsync'),
  {
    name: 'random.philox4x32',
    call: (_, c, k) => random.philox4x32(c, k),
    args: [
      arg('counter', () => [1, 2, 3, 4], [{ name: '3 words', make: () => [1, 2, 3], expect: V.DIM }]),
      arg('key', () => [5, 6], [{ name: '3 words', make: () => [1, 2, 3], expect: V.DIM }]),
    ],
  },
  {
    name: 'setThreads',
    call: (_, n) => { const before = getThreads(); setThreads(n); setThreads(before); },
    args: [arg('threads', () => 2, V.integer(0), [{ name: '1025', make: () => 1025, expect: V.RANGE }])],
  },
  {
    name: 'readSafetensors',
    call: (_, source) => readSafetensors(source),
    args: [arg('source', () => image('tensors'), only(V.image, ['number[]', 'string']), [
      { name: 'a number', make: () => 5, expect: V.INVALID },
      { name: 'missing file', make: () => '/nonexistent-reckit/x.st', expect: V.IO },
    ])],
  },
  {
    name: 'writeSafetensors',
    call: (_, p, tensors, metadata) => writeSafetensors(p, tensors, metadata),
    args: [
      arg('path', () => null, [{ name: 'number', make: () => 5, expect: V.INVALID }, { name: 'missing directory', make: () => '/nonexistent-reckit/x.st', expect: V.IO }]),
      arg('tensors', () => ({ w: { dtype: 'F32', shape: [2, 2], data: values(4) } }), [
        { name: 'null', make: () => null, expect: V.INVALID },
        { name: 'shape/data mismatch', make: () => ({ w: { dtype: 'F32', shape: [3, 2], data: values(4) } }), expect: V.DIM },
        { name: 'dtype/array mismatch', make: () => ({ w: { dtype: 'I32', shape: [4], data: values(4) } }), expect: V.INVALID },
        { name: 'unknown dtype', make: () => ({ w: { dtype: 'F8', shape: [4], data: new Uint8Array(4) } }), expect: V.INVALID },
        { name: 'negative dim', make: () => ({ w: { dtype: 'F32', shape: [-4], data: values(4) } }), expect: V.RANGE },
        { name: 'shape not an array', make: () => ({ w: { dtype: 'F32', shape: 4, data: values(4) } }), expect: V.INVALID },
        { name: 'data detached', make: () => ({ w: { dtype: 'F32', shape: [4], data: V.detached(values(4)) } }), expect: V.DIM },
        { name: 'tensor null', make: () => ({ w: null }), expect: V.INVALID },
      ]),
      arg('metadata', () => ({ a: 'b' }), [
        { name: 'null', make: () => null, expect: V.INVALID },
        { name: 'non-string value', make: () => ({ a: 5 }), expect: V.INVALID },
      ]),
    ],
  },
  {
    name: 'xxh64',
    call: (_, data, s) => xxh64(data, s),
    args: [
      arg('data', () => values(5), [
        { name: 'number[]', make: () => [1, 2], expect: V.INVALID },
        { name: 'detached', make: () => V.detached(values(5)), expect: V.OK },
        { name: 'subarray view', make: (v) => V.view(v as Float32Array), expect: V.OK, sameAsValid: true },
      ]),
      arg('seed', () => 0, V.seed),
    ],
  },
];

const recsysEntries: Entry[] = [
  {
    name: 'fromRows',
    call: (_, rows) => fromRows(rows),
    args: [arg('rows', () => LOG, [
      { name: 'not an array', make: () => 'rows', expect: V.INVALID },
      { name: 'a row without user', make: () => [{ item: 1 }], expect: V.INVALID },
      { name: 'a null row', make: () => [null], expect: V.INVALID },
    ])],
  },
  {
    name: 'tabular.tableFromRows',
    call: (_, rows) => tabular.tableFromRows(rows),
    args: [arg('rows', () => [{ a: 1, b: 'x' }, { a: 2, b: 'y' }], [
      { name: 'not an array', make: () => 5, expect: V.INVALID },
      { name: 'a null row', make: () => [null], expect: V.INVALID },
    ])],
  },
];

/**
 * Every recommender through the shared `Recommender` contract: a new model is one line in MODELS (its
 * name in the registry and options small enough to fit in milliseconds).
 */
const MODELS: [string, Record<string, unknown>][] = [
  ['toppop', {}],
  ['itemknn', {}],
  ['userknn', {}],
  ['bpr', { factors: 4, epochs: 1 }],
  ['cfgan', { epochs: 1, batchSize: 2, generator: [{ units: 8 }], discriminator: [{ units: 4 }] }],
];
const recommenderEntries: Entry[] = MODELS.flatMap(([model, options]): Entry<Recommender>[] => {
  const subject: Subject<Recommender> = {
    async make() {
      const m = createModel(model, options);
      await m.fit(fromRows(LOG));
      return m;
    },
    fingerprint: (m) => m.toBuffer(),
    dispose: (m) => m.dispose(),
  };
  const user = arg('user', () => 'a', [{ name: 'unknown user', make: () => 'zz', expect: V.RANGE }, { name: 'an object', make: () => ({}), expect: V.INVALID }]);
  const k = arg('k', () => 1, V.integer(1), [{ name: 'more than the catalogue', make: () => 4, expect: V.RANGE }]);
  return [
    { name: `${model}#recommend`, subject, call: (m, u, kk) => m.recommend(u, { k: kk }), args: [user, k] },
    { name: `${model}#recommendAsync`, subject, async: true, call: (m, u, kk) => m.recommendAsync!(u, { k: kk }), args: [user, k] },
    {
      name: `${model}#similarItems`,
      subject,
      call: (m, item, kk) => m.similarItems(item, { k: kk }),
      args: [arg('item', () => 1, [{ name: 'unknown item', make: () => 99, expect: V.RANGE }]), arg('k', () => 1, V.integer(1))],
    },
    {
      name: `${model}#scoreUsers`,
      subject,
      call: async (m, users) => m.scoreUsers(users),
      async: true,
      args: [arg('users', () => Int32Array.of(0, 2), [
        { name: '-1', make: () => Int32Array.of(-1), expect: V.RANGE },
        { name: '= numUsers', make: () => Int32Array.of(3), expect: V.RANGE },
        { name: 'number[]', make: () => [0], expect: V.INVALID },
        { name: 'subarray view', make: () => V.view(Int32Array.of(0, 2)), expect: V.OK, sameAsValid: true },
      ])],
    },
    {
      name: `${model}#fit`,
      subject,
      async: true,
      call: (m, train) => m.fit(train),
      args: [arg('train', () => fromRows(LOG), [{ name: 'null', make: () => null, expect: V.INVALID }, { name: 'rows instead', make: () => LOG, expect: V.INVALID }])],
    },
    { name: `${model}#save`, subject, call: (m, p) => m.save(p), args: [pathArg(`${model}.st`)] },
    {
      name: `loadModel (${model})`,
      call: async (_, b) => loadModel(b),
      async: true,
      args: [arg('buffer', () => new Uint8Array(imageOf(model)), only(V.image, ['number[]', 'string', 'header length 2^63']))],
    },
  ];
});

const modelImages = new Map<string, Uint8Array>();
/** A saved, fitted recommender's bytes (made once per process; the subject is async, so cached on first use). */
function imageOf(model: string): Uint8Array {
  const image = modelImages.get(model);
  if (!image) throw new Error(`no image of ${model} yet: call prepareImages() first`);
  return image;
}
/** Fits and saves one model of each kind, for the loaders' rows (the case runner awaits this first). */
export async function prepareImages(): Promise<void> {
  for (const [model] of MODELS) {
    if (modelImages.has(model)) continue;
    const m = await recommenderEntries.find((e) => e.name === `${model}#fit`)!.subject!.make();
    modelImages.set(model, new Uint8Array(m.toBuffer()));
    m.dispose();
  }
}

const SYNTH_ROWS = Array.from({ length: 24 }, (_, i) => ({ size: i % 5, colour: ['red', 'blue'][i % 2], price: 10 + i * 0.5 }));
const synthSubject: Subject<TabularSynthesizer> = {
  async make() {
    const s = new TabularSynthesizer({ epochs: 1, batchSize: 8, pac: 1, generator: [8], discriminator: [8] });
    await s.fit(SYNTH_ROWS, { seed: 1 });
    return s;
  },
  fingerprint: (s) => s.toBuffer(),
  dispose: (s) => s.dispose(),
};
const synthesizerEntries: Entry[] = [
  {
    name: 'TabularSynthesizer#sample',
    subject: synthSubject,
    async: true,
    call: (s, n, seed) => s.sample(n, { seed }),
    args: [arg('n', () => 3, V.integer(1)), arg('seed', () => 2, only(V.seed, ['2^64n', '-1n']))],
  },
  {
    name: 'TabularSynthesizer#fit',
    subject: synthSubject,
    async: true,
    call: (s, data, maxSeconds) => s.fit(data, { maxSeconds: maxSeconds as number }),
    args: [
      arg('data', () => SYNTH_ROWS, [
        { name: 'null', make: () => null, expect: V.INVALID },
        { name: 'a number', make: () => 5, expect: V.INVALID },
      ]),
      arg('maxSeconds', () => 3600, V.finite, [
        { name: '0', make: () => 0, expect: V.RANGE },
        { name: '-1', make: () => -1, expect: V.RANGE },
      ]),
    ],
  },
  { name: 'TabularSynthesizer#save', subject: synthSubject, call: (s, p) => s.save(p), args: [pathArg('synth.st')] },
];

/** Every row of the matrix. */
export const ENTRY_POINTS: Entry[] = [
  ...indexEntries, ...tableEntries, ...modelEntries, ...otherEntries, ...recsysEntries, ...recommenderEntries, ...synthesizerEntries,
];
