/**
 * The hostile values of the bad-input matrix, by argument kind. Each kind lists variants: a function
 * from the argument's valid value to a bad one, and the code the public API documents for it
 * (`ok` where the value is legal: a `subarray()` view must give the same result as a plain array).
 * Entry points name their arguments' kinds in entry-points.ts; the generator crosses the two.
 */

export const INVALID = 'ERR_RECKIT_INVALID_ARG';
export const RANGE = 'ERR_RECKIT_OUT_OF_RANGE';
export const DIM = 'ERR_RECKIT_DIM_MISMATCH';
export const CORRUPT = 'ERR_RECKIT_CORRUPT_FILE';
export const IO = 'ERR_RECKIT_IO';
export const DISPOSED = 'ERR_RECKIT_DISPOSED';
export const OOM = 'ERR_RECKIT_OUT_OF_MEMORY';
/** The value is legal: the call must succeed (and a view must equal the plain array's result). */
export const OK = 'ok';
export type Expect = string;

export interface Variant {
  name: string;
  make: (valid: unknown) => unknown;
  expect: Expect;
  /** The call must give the same result and state as with the valid value (views of the same data). */
  sameAsValid?: boolean;
}

/** A typed array whose ArrayBuffer was transferred away (length 0, no data). */
export function detached<T extends ArrayBufferView>(array: T): T {
  const copy = new (array.constructor as new (n: number) => T)((array as unknown as { length: number }).length);
  structuredClone(copy.buffer, { transfer: [copy.buffer as ArrayBuffer] });
  return copy;
}

/** The same values in a view at a non-zero byteOffset of a larger buffer, with junk on both sides. */
export function view<T extends ArrayLike<unknown> & ArrayBufferView>(array: T): T {
  const Ctor = array.constructor as unknown as {
    new (n: number): T & { set(a: ArrayLike<unknown>, at: number): void; subarray(a: number, b: number): T; fill(v: unknown): T };
  };
  const big = new Ctor(array.length + 5);
  big.fill(typeof (array as unknown as ArrayLike<unknown>)[0] === 'bigint' ? (7n as unknown) : (7 as unknown));
  big.set(array, 3);
  return big.subarray(3, 3 + array.length);
}

function withElement(valid: unknown, value: unknown): unknown {
  if (Array.isArray(valid)) return [value, ...valid.slice(1)];
  const a = valid as Float32Array;
  const copy = new (a.constructor as new (x: ArrayLike<number>) => Float32Array)(a);
  copy[0] = value as number;
  return copy;
}

function len(valid: unknown): number {
  return (valid as ArrayLike<unknown>).length;
}

/** A Float32Array whose length is fixed by the other arguments and whose values must be finite. */
export const f32: Variant[] = [
  { name: 'plain number[]', make: (v) => Array.from(v as Float32Array), expect: INVALID },
  { name: 'Float64Array', make: (v) => Float64Array.from(v as Float32Array), expect: INVALID },
  { name: 'null', make: () => null, expect: INVALID },
  { name: 'string', make: () => '1,2,3', expect: INVALID },
  { name: 'one short', make: (v) => (v as Float32Array).slice(0, len(v) - 1), expect: DIM },
  { name: 'one long', make: (v) => Float32Array.from([...(v as Float32Array), 0.5]), expect: DIM },
  { name: 'NaN', make: (v) => withElement(v, NaN), expect: RANGE },
  { name: '+Infinity', make: (v) => withElement(v, Infinity), expect: RANGE },
  { name: '-Infinity', make: (v) => withElement(v, -Infinity), expect: RANGE },
  { name: 'detached', make: (v) => detached(v as Float32Array), expect: DIM },
  { name: 'subarray view', make: (v) => view(v as Float32Array), expect: OK, sameAsValid: true },
];

/** Integer ids (rows of a table, items of an index): number[] or a typed array. */
export const ids: Variant[] = [
  { name: 'negative', make: (v) => withElement(v, -1), expect: RANGE },
  { name: 'fractional', make: (v) => withElement(v, 1.5), expect: RANGE },
  { name: 'NaN', make: (v) => withElement(v, NaN), expect: RANGE },
  { name: 'Infinity', make: (v) => withElement(v, Infinity), expect: RANGE },
  { name: '2^53', make: (v) => withElement(v, 2 ** 53), expect: RANGE },
  { name: 'string element', make: (v) => ['1', ...Array.from(v as ArrayLike<number>).slice(1)], expect: INVALID },
  { name: 'a string', make: () => 'abc', expect: INVALID },
  { name: 'null', make: () => null, expect: INVALID },
  { name: 'plain object', make: () => ({ length: 1, 0: 1 }), expect: INVALID },
  { name: 'Int8Array', make: (v) => Int8Array.from(v as ArrayLike<number>), expect: INVALID },
  { name: 'subarray view', make: (v) => view(Uint32Array.from(v as ArrayLike<number>)), expect: OK, sameAsValid: true },
];

/** Ids that must be below a bound (`rows` of a table): the bound itself and 2^32. */
export function boundedIds(bound: number): Variant[] {
  return [
    { name: `id ${bound} (= size)`, make: (v) => withElement(v, bound), expect: RANGE },
    { name: 'Uint32Array 2^32-1', make: (v) => Uint32Array.from(withElement(Array.from(v as ArrayLike<number>), 2 ** 32 - 1) as number[]), expect: RANGE },
    { name: 'Int32Array -1', make: (v) => Int32Array.from(withElement(Array.from(v as ArrayLike<number>), -1) as number[]), expect: RANGE },
  ];
}

/** A count or size: an integer with a lower bound. */
export function integer(min: number, huge: Expect = RANGE): Variant[] {
  return [
    { name: `${min - 1} (below min)`, make: () => min - 1, expect: RANGE },
    { name: '-1', make: () => -1, expect: RANGE },
    { name: '1.5', make: () => 1.5, expect: RANGE },
    { name: 'NaN', make: () => NaN, expect: RANGE },
    { name: 'Infinity', make: () => Infinity, expect: RANGE },
    { name: '2^53', make: () => 2 ** 53, expect: huge },
    { name: 'numeric string', make: () => '3', expect: INVALID },
    { name: 'bigint', make: () => 3n, expect: INVALID },
  ];
}

/** A finite real number (learning rate, bound, mean). */
export const finite: Variant[] = [
  { name: 'NaN', make: () => NaN, expect: RANGE },
  { name: 'Infinity', make: () => Infinity, expect: RANGE },
  { name: '-Infinity', make: () => -Infinity, expect: RANGE },
  { name: 'string', make: () => '0.1', expect: INVALID },
];

/** A seed or stream: a non-negative safe integer or a bigint below 2^64. */
export const seed: Variant[] = [
  { name: '-1', make: () => -1, expect: RANGE },
  { name: '1.5', make: () => 1.5, expect: RANGE },
  { name: '2^64n', make: () => 2n ** 64n, expect: RANGE },
  { name: '-1n', make: () => -1n, expect: RANGE },
  { name: 'string', make: () => '7', expect: INVALID },
];

/** One of a set of names. */
export const oneOf: Variant[] = [
  { name: 'unknown name', make: () => 'no-such-thing', expect: INVALID },
  { name: 'number', make: () => 1, expect: INVALID },
  { name: 'null', make: () => null, expect: INVALID },
];

export const boolean: Variant[] = [
  { name: 'number 1', make: () => 1, expect: INVALID },
  { name: 'string', make: () => 'true', expect: INVALID },
];

/** An options object (optional: `undefined` is legal). */
export const options: Variant[] = [
  { name: 'null', make: () => null, expect: INVALID },
  { name: 'number', make: () => 5, expect: INVALID },
  { name: 'string', make: () => 'fast', expect: INVALID },
  { name: 'array', make: () => [], expect: INVALID },
];

/** A file path to write or read. */
export const path: Variant[] = [
  { name: 'number', make: () => 42, expect: INVALID },
  { name: 'null', make: () => null, expect: INVALID },
  { name: 'missing directory', make: () => '/nonexistent-reckit-dir/x/y.safetensors', expect: IO },
  { name: 'a directory', make: () => '/', expect: IO },
];

/** A path to load: also a file that is not ours. */
export const loadPath: Variant[] = [
  ...path,
  { name: 'not a safetensors file', make: () => '/etc/hostname', expect: CORRUPT },
  { name: 'empty file', make: () => '/dev/null', expect: CORRUPT },
];

/** The bytes of a saved object (loaders' fromBuffer). */
export const image: Variant[] = [
  { name: 'number[]', make: (v) => Array.from(v as Uint8Array), expect: INVALID },
  { name: 'string', make: () => 'safetensors', expect: INVALID },
  { name: 'empty', make: () => new Uint8Array(0), expect: CORRUPT },
  { name: '7 bytes', make: (v) => (v as Uint8Array).slice(0, 7), expect: CORRUPT },
  { name: 'header only', make: (v) => (v as Uint8Array).slice(0, 8 + Number(new DataView((v as Uint8Array).buffer, (v as Uint8Array).byteOffset).getBigUint64(0, true))), expect: CORRUPT },
  { name: 'truncated by one byte', make: (v) => (v as Uint8Array).slice(0, len(v) - 1), expect: CORRUPT },
  { name: 'last byte flipped', make: (v) => { const c = (v as Uint8Array).slice(); c[c.length - 1] ^= 0x40; return c; }, expect: CORRUPT },
  { name: 'header length 2^63', make: (v) => { const c = (v as Uint8Array).slice(); new DataView(c.buffer).setBigUint64(0, 1n << 63n, true); return c; }, expect: CORRUPT },
  { name: 'header byte flipped', make: (v) => { const c = (v as Uint8Array).slice(); c[12] ^= 0x01; return c; }, expect: CORRUPT },
  { name: 'detached', make: (v) => detached(v as Uint8Array), expect: CORRUPT },
  { name: 'subarray view', make: (v) => view(v as Uint8Array), expect: OK, sameAsValid: true },
];
