/**
 * The bad-input matrix: generates the cases from the entry-point table and runs one case, checking
 * that a bad call ends in a JS error with its documented code (a rejection for async entry points),
 * that the subject's fingerprint is unchanged, and that the subject still serves a valid call.
 */
import { CosineIndex, EmbeddingTable, Gan, Mlp } from '../../lib/index';
import { DISPOSED, OK, type Expect } from './bad-values';
import { ENTRY_POINTS, indexSubject, type Entry } from './entry-points';

export interface BadCase {
  id: number;
  entry: Entry;
  name: string;
  kind: 'arg' | 'case' | 'disposed' | 'dispose-in-flight';
  args: () => unknown[];
  expect: Expect;
  sameAsValid?: boolean;
}

const validArgs = (e: Entry) => () => e.args.map((a) => a.valid());

/** Every case, in a fixed order (ids are indices). */
export function generateCases(entries: Entry[] = ENTRY_POINTS): BadCase[] {
  const out: Omit<BadCase, 'id'>[] = [];
  for (const e of entries) {
    e.args.forEach((a, i) => {
      for (const v of a.variants) {
        out.push({
          entry: e,
          name: `${e.name}: ${a.name} = ${v.name}`,
          kind: 'arg',
          args: () => e.args.map((b, j) => (j === i ? v.make(b.valid()) : b.valid())),
          expect: v.expect,
          sameAsValid: v.sameAsValid,
        });
      }
    });
    for (const c of e.cases ?? []) out.push({ entry: e, name: `${e.name}: ${c.name}`, kind: 'case', args: c.args, expect: c.expect });
    if (e.subject) {
      out.push({ entry: e, name: `${e.name}: after dispose`, kind: 'disposed', args: validArgs(e), expect: e.afterDispose ?? DISPOSED });
      if (e.async) out.push({ entry: e, name: `${e.name}: dispose while in flight`, kind: 'dispose-in-flight', args: validArgs(e), expect: OK });
    }
  }
  return out.map((c, id) => ({ ...c, id }));
}

type Outcome = { value: unknown } | { error: unknown } | { syncThrow: unknown };

async function invoke(e: Entry, subject: unknown, args: unknown[]): Promise<Outcome> {
  let r: unknown;
  try {
    r = e.call(subject, ...args);
  } catch (error) {
    return e.async ? { syncThrow: error } : { error };
  }
  if (e.async && !(r instanceof Promise)) return { syncThrow: new Error(`returned ${typeof r}, not a promise`) };
  try {
    return { value: await r };
  } catch (error) {
    return { error };
  }
}

/** A comparable JSON form of a result or fingerprint (objects by their state). */
export function snapshot(x: unknown): string {
  const seen = (v: unknown): unknown => {
    if (typeof v === 'bigint') return `${v}n`;
    if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
    if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number | bigint>, seen);
    if (v instanceof CosineIndex) return seen(indexSubject.fingerprint(v));
    if (v instanceof EmbeddingTable) return seen(v.data());
    if (v instanceof Mlp) return seen(v.parameters());
    if (v instanceof Gan) return seen(v.parameters());
    if (Array.isArray(v)) return v.map(seen);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, w]) => [k, seen(w)]));
    return v;
  };
  return JSON.stringify(seen(x)) ?? 'undefined';
}

const CLASS_OF: Record<string, Function> = {
  ERR_RECKIT_INVALID_ARG: TypeError,
  ERR_RECKIT_OUT_OF_RANGE: RangeError,
  ERR_RECKIT_DIM_MISMATCH: RangeError,
};

function describe(error: unknown): string {
  const e = error as { code?: string; message?: string; constructor?: { name: string } };
  return `${e?.constructor?.name ?? typeof error} ${e?.code ?? '(no code)'}: ${e?.message ?? String(error)}`;
}

/** Runs one case; returns undefined when it passes, else what went wrong. */
export async function runCase(c: BadCase): Promise<string | undefined> {
  const e = c.entry;
  const subject = e.subject ? await e.subject.make() : undefined;
  try {
    if (c.kind === 'disposed') {
      e.subject!.dispose(subject);
      const o = await invoke(e, subject, c.args());
      if (c.expect === OK) return 'value' in o ? undefined : `expected success after dispose, got ${describe('error' in o ? o.error : o.syncThrow)}`;
      return checkError(o, c.expect, e.async);
    }
    if (c.kind === 'dispose-in-flight') {
      const p = e.call(subject, ...c.args()) as Promise<unknown>;
      e.subject!.dispose(subject);
      try {
        await p;
      } catch (error) {
        if ((error as { code?: string }).code !== (e.disposedInFlight ?? DISPOSED)) return `in-flight call rejected with ${describe(error)}`;
      }
      return undefined;
    }
    const before = e.subject ? snapshot(e.subject.fingerprint(subject)) : '';
    const o = await invoke(e, subject, c.args());
    if (c.expect === OK) {
      if (!('value' in o)) return `expected success, got ${describe('error' in o ? o.error : o.syncThrow)}`;
      if (c.sameAsValid) {
        const fresh = e.subject ? await e.subject.make() : undefined;
        const reference = await invoke(e, fresh, validArgs(e)());
        if (!('value' in reference)) return 'the valid call failed';
        if (snapshot(o.value) !== snapshot(reference.value)) return 'result differs from the plain array\'s';
        if (e.subject && snapshot(e.subject.fingerprint(subject)) !== snapshot(e.subject.fingerprint(fresh))) return 'state differs from the plain array\'s';
        e.subject?.dispose(fresh);
      }
      return undefined;
    }
    const problem = checkError(o, c.expect, e.async);
    if (problem) return problem;
    if (e.subject && snapshot(e.subject.fingerprint(subject)) !== before) return 'the failed call changed the object';
    const after = await invoke(e, subject, validArgs(e)());
    if (!('value' in after)) return `the object is unusable afterwards: ${describe('error' in after ? after.error : after.syncThrow)}`;
    return undefined;
  } finally {
    if (e.subject) e.subject.dispose(subject);
  }
}

function checkError(o: Outcome, code: string, async: boolean | undefined): string | undefined {
  if ('value' in o) return `expected ${code}, but the call succeeded`;
  if ('syncThrow' in o) return `async entry threw synchronously (${describe(o.syncThrow)}) instead of rejecting`;
  const error = o.error as { code?: string };
  if (!(error instanceof Error)) return `threw a non-Error: ${String(error)}`;
  if (error.code !== code) return `expected ${code}, got ${describe(error)}`;
  const cls = CLASS_OF[code];
  if (cls && !(error instanceof cls)) return `expected a ${cls.name}, got ${describe(error)}`;
  void async;
  return undefined;
}
