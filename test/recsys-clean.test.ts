// Cleaning: min-rating to implicit, dedupe modes, k-core against a naive reference, compaction, counts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { clean, dedupe, fromRows, kCore, Rng, type Interactions } from '../lib/index';

const rowsOf = (x: Interactions) =>
  Array.from(x.users, (u, r) => [x.userIds.idOf(u), x.itemIds.idOf(x.items[r]), x.ratings[r], x.times[r]]);

test('dedupe keeps one row per pair: latest, first, max, sum', () => {
  const x = fromRows([
    { user: 1, item: 'a', rating: 2, time: 10 },
    { user: 1, item: 'a', rating: 5, time: 5 },
    { user: 1, item: 'b', rating: 1, time: 7 },
    { user: 1, item: 'a', rating: 3, time: 20 },
  ]);
  assert.equal(rowsOf(dedupe(x, 'latest')), [[1, 'b', 1, 7], [1, 'a', 3, 20]]);
  assert.equal(rowsOf(dedupe(x, 'first')), [[1, 'a', 5, 5], [1, 'b', 1, 7]]);
  assert.equal(rowsOf(dedupe(x, 'max')), [[1, 'b', 1, 7], [1, 'a', 5, 20]]);
  assert.equal(rowsOf(dedupe(x, 'sum')), [[1, 'b', 1, 7], [1, 'a', 10, 20]]);
});

test('min-rating drops low ratings, makes the rest implicit, and leaves the input untouched', () => {
  const x = fromRows([
    { user: 'u', item: 1, rating: 5, time: 1 },
    { user: 'u', item: 2, rating: 2, time: 2 },
    { user: 'v', item: 1, rating: 4, time: 3 },
  ]);
  const { interactions: y, report } = clean(x, { minRating: 4 });
  assert.equal(rowsOf(y), [['u', 1, 1, 1], ['v', 1, 1, 3]]);
  assert.is(report.belowMinRating, 1);
  assert.is(report.rowsOut, 2);
  assert.is(y.numItems, 1); // compacted: item 2 had no rows left
  assert.equal(Array.from(x.ratings), [5, 2, 4]);
});

/** Naive k-core: remove offending rows one pass at a time with plain arrays until stable. */
function naiveKCore(rows: [number, number][], ku: number, ki: number): [number, number][] {
  let cur = rows.slice();
  for (;;) {
    const uc = new Map<number, number>(), ic = new Map<number, number>();
    for (const [u, i] of cur) {
      uc.set(u, (uc.get(u) ?? 0) + 1);
      ic.set(i, (ic.get(i) ?? 0) + 1);
    }
    const next = cur.filter(([u, i]) => uc.get(u)! >= ku && ic.get(i)! >= ki);
    if (next.length === cur.length) return next;
    cur = next;
  }
}

test('k-core matches a naive reference and every survivor meets the threshold', () => {
  const rng = new Rng(11);
  for (let c = 0; c < 20; c++) {
    const seen = new Set<string>();
    const rows: [number, number][] = [];
    for (let j = 0; j < 400; j++) {
      const u = rng.int(60), i = Math.floor(Math.pow(rng.next(), 2) * 80);
      if (seen.has(`${u}:${i}`)) continue;
      seen.add(`${u}:${i}`);
      rows.push([u, i]);
    }
    const x = fromRows(rows.map(([u, i]) => ({ user: u, item: i })));
    const k = 2 + rng.int(4);
    const got = kCore(x, k, k).interactions;
    const want = naiveKCore(rows, k, k);
    assert.equal(Array.from(got.users, (u, r) => [x.userIds.idOf(u), x.itemIds.idOf(got.items[r])]), want);
    const { report } = clean(x, { kCore: k });
    assert.is(report.rowsOut, want.length);
    assert.is(report.kCoreRows, rows.length - want.length);
  }
});

test('clean reports counts and compacts ids; bad options raise codes', () => {
  const x = fromRows([
    { user: 'a', item: 'x' }, { user: 'a', item: 'x' }, { user: 'a', item: 'y' },
    { user: 'b', item: 'x' }, { user: 'c', item: 'z' },
  ]);
  const { interactions: y, report } = clean(x, { kCore: { user: 2, item: 1 } });
  assert.equal(report, { rowsIn: 5, belowMinRating: 0, duplicates: 1, kCoreRows: 2, kCoreRounds: 1, rowsOut: 2, usersOut: 1, itemsOut: 2 });
  assert.equal(y.userIds.toArray(), ['a']);
  assert.equal(y.itemIds.toArray(), ['x', 'y']);
  assert.throws(() => clean(x, { dedupe: 'avg' as any }), (e: any) => e.code === 'ERR_RECKIT_INVALID_ARG');
  assert.throws(() => clean(x, { minRating: NaN }), (e: any) => e.code === 'ERR_RECKIT_OUT_OF_RANGE');
  assert.throws(() => clean(x, { kCore: -1 }), (e: any) => e.code === 'ERR_RECKIT_OUT_OF_RANGE');
});

test.run();
