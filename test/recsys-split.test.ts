// Splits: no test pair in train, every row accounted for, the right rows on each side, seeded determinism.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromRows, leaveOneOut, ratioSplit, timeSplit, splitBySpec, Rng, type Interactions, type Split } from '../lib/index';

/** A random log with repeats: 40 users with 1..30 rows over 60 items, times with ties. */
function randomLog(seed: number): Interactions {
  const rng = new Rng(seed);
  const rows = [];
  for (let u = 0; u < 40; u++) {
    const n = 1 + rng.int(30);
    for (let j = 0; j < n; j++) rows.push({ user: `u${u}`, item: 100 + rng.int(60), rating: 1 + rng.int(5), time: rng.int(1000) });
  }
  return fromRows(rows);
}

function pairs(x: Interactions): Set<string> {
  const s = new Set<string>();
  for (let r = 0; r < x.users.length; r++) s.add(`${x.users[r]}:${x.items[r]}`);
  return s;
}

function checkDisjoint(split: Split, total: number): void {
  const train = pairs(split.train);
  for (const p of pairs(split.test)) assert.not.ok(train.has(p), `test pair ${p} is in train`);
  assert.is(split.train.users.length + split.test.users.length + split.dropped, total);
  assert.is(split.train.numItems, split.test.numItems);
  assert.is(split.train.userIds, split.test.userIds);
}

test('leave-one-out takes each user\'s latest row, drops older copies of that pair', () => {
  const x = randomLog(1);
  const split = leaveOneOut(x);
  checkDisjoint(split, x.users.length);
  for (let u = 0; u < x.numUsers; u++) {
    const rows = [...x.users.keys()].filter((r) => x.users[r] === u);
    const testRows = [...split.test.users.keys()].filter((r) => split.test.users[r] === u);
    if (rows.length < 2) {
      assert.is(testRows.length, 0);
      continue;
    }
    assert.is(testRows.length, 1);
    const latest = rows.reduce((a, b) => (x.times[b] >= x.times[a] ? b : a));
    assert.is(split.test.items[testRows[0]], x.items[latest]);
    assert.is(split.test.times[testRows[0]], x.times[latest]);
  }
});

test('leave-one-out by hand on a tiny log', () => {
  const x = fromRows([
    { user: 'a', item: 'x', time: 1 },
    { user: 'a', item: 'y', time: 3 },
    { user: 'a', item: 'x', time: 2 },
    { user: 'b', item: 'x', time: 5 },
    { user: 'c', item: 'y', time: 1 },
    { user: 'c', item: 'y', time: 4 },
  ]);
  const s = leaveOneOut(x);
  assert.equal(Array.from(s.test.users, (u) => x.userIds.idOf(u)), ['a', 'c']);
  assert.equal(Array.from(s.test.items, (i) => x.itemIds.idOf(i)), ['y', 'y']);
  // c's older 'y' is dropped (it would put the test pair in train); b stays in train.
  assert.is(s.dropped, 1);
  assert.equal(Array.from(s.train.users, (u) => x.userIds.idOf(u)), ['a', 'a', 'b']);
});

test('ratio split: round(ratio * n) distinct items per user in train, seeded, pairs on one side', () => {
  const x = randomLog(2);
  const a = ratioSplit(x, { ratio: 0.75, seed: 5 });
  checkDisjoint(a, x.users.length);
  assert.is(a.dropped, 0);
  for (let u = 0; u < x.numUsers; u++) {
    const all = new Set<number>();
    for (let r = 0; r < x.users.length; r++) if (x.users[r] === u) all.add(x.items[r]);
    const train = new Set<number>();
    for (let r = 0; r < a.train.users.length; r++) if (a.train.users[r] === u) train.add(a.train.items[r]);
    assert.is(train.size, Math.max(1, Math.round(0.75 * all.size)), `user ${u}`);
  }
  const b = ratioSplit(x, { ratio: 0.75, seed: 5 });
  assert.equal(Array.from(b.test.items), Array.from(a.test.items));
  const c = ratioSplit(x, { ratio: 0.75, seed: 6 });
  assert.not.equal(Array.from(c.test.items), Array.from(a.test.items));
  assert.is(a.description, 'per-user random 75/25 (seed 5)');
});

test('time split: train strictly before the cut, test at or after; cold users and repeats dropped', () => {
  const x = randomLog(3);
  const s = timeSplit(x, { quantile: 0.7 });
  checkDisjoint(s, x.users.length);
  const cut = Number(/cut at (\d+)/.exec(s.description)![1]);
  for (const t of s.train.times) assert.ok(t < cut);
  for (const t of s.test.times) assert.ok(t >= cut);
  const trainUsers = new Set(s.train.users);
  for (const u of s.test.users) assert.ok(trainUsers.has(u));
  const at = timeSplit(x, { at: 500 });
  for (const t of at.train.times) assert.ok(t < 500);
});

test('splitBySpec parses the CLI forms and rejects bad ones with codes', () => {
  const x = randomLog(4);
  assert.is(splitBySpec(x, 'loo').kind, 'loo');
  assert.is(splitBySpec(x, 'ratio:0.8', 1).description, 'per-user random 80/20 (seed 1)');
  assert.is(splitBySpec(x, 'time').kind, 'time');
  for (const bad of ['nope', 'ratio:x', 'ratio:1.5', 'loo:3', 'time:0', 'ratio:0.5:1']) {
    assert.throws(() => splitBySpec(x, bad), (e: any) => e.code === 'ERR_RECKIT_INVALID_ARG', bad);
  }
});

test.run();
