/**
 * The seeded pseudo-random generator of the recommender layer (splits, negative sampling, the synthetic
 * shop): xoshiro128** keyed by (seed, stream) through splitmix32. Small and fast in plain JS; never
 * Math.random, so a seed reproduces a split or a dataset exactly on any machine.
 */
import { requireInteger } from '../validate';

const TWO_POW_32 = 4294967296;

/** splitmix32: a bijective 32-bit mixer used to spread a (seed, stream) key over the generator state. */
function splitmix32(state: { x: number }): number {
  state.x = (state.x + 0x9e3779b9) | 0;
  let z = state.x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A deterministic generator; `stream` gives independent sequences under one seed (e.g. one per user). */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number, stream = 0) {
    requireInteger(seed, 'seed', 0);
    requireInteger(stream, 'stream', 0);
    // Fold the 53-bit seed and the stream into the mixer; each key word is mixed separately so
    // (seed, stream) pairs that differ in any bit start far apart.
    const st = { x: (seed >>> 0) ^ 0x243f6a88 };
    splitmix32(st);
    st.x ^= Math.floor(seed / TWO_POW_32) >>> 0;
    splitmix32(st);
    st.x ^= Math.imul(stream >>> 0, 0x9e3779b1) ^ (Math.floor(stream / TWO_POW_32) >>> 0);
    this.s0 = splitmix32(st);
    this.s1 = splitmix32(st);
    this.s2 = splitmix32(st);
    this.s3 = splitmix32(st);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
  }

  /** The next 32-bit word (xoshiro128**). */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A float in [0, 1) with 32 random bits. */
  next(): number {
    return this.nextU32() / TWO_POW_32;
  }

  /** An integer in [0, n), unbiased (rejection of the short last bucket), for 1 <= n <= 2^32. */
  int(n: number): number {
    if (n <= 1) return 0;
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }

  /** A standard normal draw (Box-Muller; one of the pair is discarded to keep the state simple). */
  normal(): number {
    const u1 = (this.nextU32() + 1) / (TWO_POW_32 + 1);
    const u2 = this.next();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Shuffles `a` in place (Fisher-Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: any }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** An index drawn with probability proportional to `cumulative[i] - cumulative[i-1]` (a running sum). */
  pickCumulative(cumulative: ArrayLike<number>): number {
    const n = cumulative.length;
    const target = this.next() * cumulative[n - 1];
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid] > target) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
