/** Shared test utilities: seeded data, float64 references, error-code assertions, child processes. */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as assert from 'uvu/assert';

export const ROOT = path.resolve(__dirname, '..');

/** A seeded xorshift32 stream of floats in [-1, 1): independent of the library's own RNG. */
export function seededFloats(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = (seed >>> 0) || 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

export function dot64(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Asserts |actual - expected| <= abs + rel·|expected|. */
export function assertClose(actual: number, expected: number, rel = 1e-5, abs = 1e-6, what = 'value'): void {
  const tol = abs + rel * Math.abs(expected);
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected} (tolerance ${tol})`);
}

/** Asserts that fn throws an error of the given class with the given `.code`, and returns it. */
export function assertThrowsCode(fn: () => unknown, code: string, ctor: Function = Error): Error & { code?: string } {
  try {
    fn();
  } catch (error) {
    const e = error as Error & { code?: string };
    assert.is(e.code, code, `expected code ${code}, got ${e.code}: ${e.message}`);
    assert.ok(e instanceof ctor, `expected ${ctor.name}, got ${e.constructor.name}`);
    return e;
  }
  assert.unreachable(`expected an error with code ${code}`);
  throw new Error('unreachable'); // assert.unreachable always throws; this tells the type checker

}

// The `.code` of what fn throws (undefined when it returns, or throws without one): for tables of calls
// compared against an expected code, where assertThrowsCode's one-call form would not read well.
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

// Each of `makers` (throwing or rejecting) must fail with ERR_RECKIT_NO_DEVICE and a message naming `reason`
// (info().cuda.reason): the device tests' check of every way to ask for CUDA where it is unusable.
export async function assertEachNoDevice(makers: (() => unknown)[], reason: string | undefined): Promise<void> {
  for (const make of makers) {
    try {
      await make();
      assert.unreachable('should throw');
    } catch (e) {
      assert.is((e as { code?: string }).code, 'ERR_RECKIT_NO_DEVICE');
      assert.ok(String((e as Error).message).includes(reason ?? '?'), String(e));
    }
  }
}

export async function assertRejectsCode(promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    assert.is((error as { code?: string }).code, code);
    return;
  }
  assert.unreachable(`expected a rejection with code ${code}`);
}

/** Runs a snippet of JS in a fresh Node process (cwd = repo root) and returns its stdout, or throws. */
export function runNode(code: string, env: Record<string, string> = {}, args: string[] = ['-e']): string {
  const result = spawnSync(process.execPath, [...args, code], {
    cwd: ROOT,
    // uvu sets FORCE_COLOR, which would make the child's console.log colour its numbers.
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', ...env },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`child exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}
