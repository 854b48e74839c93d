// Interactions: id maps both ways, construction checks, per-user groupings and the CSR form against a
// dense reference.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { IdMap, fromRows, makeInteractions, itemsByUser, toCsr, compact, selectRows, Rng } from '../lib/index';

const code = (c: string) => (e: any) => e.code === c;

test('IdMap maps ids to dense indices and back; numbers and their text are one id', () => {
  const m = IdMap.from([42, 'sku-1', 7]);
  assert.is(m.size, 3);
  assert.is(m.indexOf(42), 0);
  assert.is(m.indexOf('42'), 0);
  assert.is(m.indexOf('sku-1'), 1);
  assert.is(m.indexOf('nope'), -1);
  assert.is(m.idOf(2), 7);
  assert.is(m.add(7), 2);
  assert.throws(() => m.idOf(3), code('ERR_RECKIT_OUT_OF_RANGE'));
  assert.throws(() => IdMap.from([1, '1']), code('ERR_RECKIT_INVALID_ARG'));
  assert.not.ok(m.allNumeric());
});

test('makeInteractions and fromRows check lengths, ranges and values', () => {
  const ids = IdMap.from([0, 1]);
  assert.throws(() => makeInteractions({ users: Int32Array.of(0), items: Int32Array.of(0, 1) }, ids, ids), code('ERR_RECKIT_DIM_MISMATCH'));
  assert.throws(() => makeInteractions({ users: Int32Array.of(2), items: Int32Array.of(0) }, ids, ids), code('ERR_RECKIT_OUT_OF_RANGE'));
  assert.throws(() => makeInteractions({ users: Int32Array.of(0), items: Int32Array.of(0), ratings: Float32Array.of(NaN) }, ids, ids), code('ERR_RECKIT_OUT_OF_RANGE'));
  assert.throws(() => makeInteractions({ users: [0] as any, items: Int32Array.of(0) }, ids, ids), code('ERR_RECKIT_INVALID_ARG'));
  assert.throws(() => fromRows([{ user: '', item: 1 }]), code('ERR_RECKIT_INVALID_ARG'));
  assert.throws(() => fromRows([{ user: 1, item: NaN }]), code('ERR_RECKIT_INVALID_ARG'));
  const x = fromRows([{ user: 'a', item: 'p' }, { user: 'b', item: 'q' }]);
  assert.not.ok(x.hasTime);
  assert.equal(Array.from(x.times), [0, 1]);
});

test('toCsr equals a dense reference, by user and by item, summed or binary', () => {
  const rng = new Rng(21);
  const rows = Array.from({ length: 300 }, () => ({ user: rng.int(20), item: rng.int(15), rating: 1 + rng.int(5) }));
  const x = fromRows(rows);
  const dense = Array.from({ length: x.numUsers }, () => new Array(x.numItems).fill(0));
  for (let r = 0; r < x.users.length; r++) dense[x.users[r]][x.items[r]] += x.ratings[r];
  for (const by of ['user', 'item'] as const) {
    for (const binary of [false, true]) {
      const m = toCsr(x, { by, binary });
      const got = Array.from({ length: m.rows }, () => new Array(m.cols).fill(0));
      for (let i = 0; i < m.rows; i++) {
        for (let j = m.offsets[i]; j < m.offsets[i + 1]; j++) {
          if (j > m.offsets[i]) assert.ok(m.indices[j] > m.indices[j - 1], 'sorted, no repeats');
          got[i][m.indices[j]] = m.values[j];
        }
      }
      const want = by === 'user' ? dense : dense[0].map((_, i) => dense.map((row) => row[i]));
      assert.equal(got, want.map((row) => row.map((v) => (binary ? (v > 0 ? 1 : 0) : v))), `${by} ${binary}`);
    }
  }
  const seen = itemsByUser(x);
  const csr = toCsr(x);
  assert.equal(Array.from(seen.items), Array.from(csr.indices));
});

test('selectRows keeps id maps; compact renumbers to the rows that remain', () => {
  const x = fromRows([{ user: 'a', item: 1 }, { user: 'b', item: 2 }, { user: 'c', item: 3 }]);
  const y = selectRows(x, Uint8Array.of(1, 0, 1));
  assert.is(y.userIds, x.userIds);
  assert.is(y.numItems, 3);
  const z = compact(y);
  assert.equal(z.userIds.toArray(), ['a', 'c']);
  assert.equal(z.itemIds.toArray(), [1, 3]);
  assert.equal(Array.from(z.users), [0, 1]);
});

test.run();
