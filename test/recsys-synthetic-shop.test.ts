// The synthetic shop: seeded determinism, a well-formed catalogue and event log, long-tail popularity,
// segment affinities visible in the data, sessions that go view -> cart -> purchase, sparse customers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateShop, shopInteractions, shopToCsv, parseInteractions, EVENT_TYPES } from '../lib/index';

const shop = generateShop({ users: 800, items: 300, seed: 5 });

test('same seed, same shop; another seed, another shop', () => {
  const again = generateShop({ users: 800, items: 300, seed: 5 });
  assert.equal(again.items, shop.items);
  assert.equal(Array.from(again.events.items), Array.from(shop.events.items));
  assert.equal(Array.from(again.events.times), Array.from(shop.events.times));
  const other = generateShop({ users: 800, items: 300, seed: 6 });
  assert.not.equal(Array.from(other.events.items.subarray(0, 50)), Array.from(shop.events.items.subarray(0, 50)));
});

test('catalogue and log are well formed', () => {
  assert.is(shop.items.length, 300);
  assert.is(shop.users.length, 800);
  assert.is(new Set(shop.items.map((i) => i.name)).size, 300); // names are unique
  assert.is(new Set(shop.items.map((i) => i.id)).size, 300);
  for (const item of shop.items) {
    assert.ok(shop.categories.includes(item.category));
    assert.ok(item.price > 0 && item.name.length > 5);
  }
  const e = shop.events;
  const n = e.users.length;
  assert.ok(n > 5000);
  for (const arr of [e.items, e.types, e.times, e.sessions]) assert.is(arr.length, n);
  for (let r = 0; r < n; r++) {
    assert.ok(e.users[r] >= 0 && e.users[r] < 800 && e.items[r] >= 0 && e.items[r] < 300 && e.types[r] <= 2);
    if (r > 0 && e.users[r] === e.users[r - 1]) assert.ok(e.times[r] >= e.times[r - 1], 'per-user events in time order');
  }
  const shares = shop.segments.reduce((a, s) => a + s.share, 0);
  assert.ok(Math.abs(shares - 1) < 1e-9);
});

test('every cart follows a view and every purchase a cart of the same item in the session', () => {
  const e = shop.events;
  const viewed = new Set<string>(), carted = new Set<string>();
  for (let r = 0; r < e.users.length; r++) {
    const key = `${e.sessions[r]}:${e.items[r]}`;
    if (e.types[r] === 0) viewed.add(key);
    if (e.types[r] === 1) {
      assert.ok(viewed.has(key));
      carted.add(key);
    }
    if (e.types[r] === 2) assert.ok(carted.has(key));
  }
});

test('popularity is long-tailed and customers follow their segment\'s categories', () => {
  const e = shop.events;
  const perItem = new Array(300).fill(0);
  for (const i of e.items) perItem[i]++;
  const sorted = [...perItem].sort((a, b) => b - a);
  const top10pct = sorted.slice(0, 30).reduce((a, b) => a + b, 0) / e.items.length;
  assert.ok(top10pct > 0.35, `top 10% of items hold ${top10pct} of events`);
  // For each segment, the share of its events in its top-affinity category beats that category's
  // share among everyone else.
  for (let s = 0; s < shop.segments.length; s++) {
    const aff = shop.segments[s].categoryAffinity;
    const top = shop.categories[aff.indexOf(Math.max(...aff))];
    let inSeg = 0, inSegTop = 0, out = 0, outTop = 0;
    for (let r = 0; r < e.users.length; r++) {
      const mine = shop.users[e.users[r]].segment === s;
      const isTop = shop.items[e.items[r]].category === top;
      if (mine) { inSeg++; inSegTop += +isTop; } else { out++; outTop += +isTop; }
    }
    assert.ok(inSegTop / inSeg > 2 * (outTop / out), `segment ${s}: ${inSegTop / inSeg} vs ${outTop / out}`);
  }
  // Heavy-tailed activity: many customers have at most one purchase, a few have many.
  const purchases = new Array(800).fill(0);
  for (let r = 0; r < e.users.length; r++) if (e.types[r] === 2) purchases[e.users[r]]++;
  assert.ok(purchases.filter((p) => p <= 1).length > 200);
  assert.ok(Math.max(...purchases) >= 10);
});

test('shopInteractions and shopToCsv agree; bad options raise codes', () => {
  const x = shopInteractions(shop, { events: ['purchase'], weights: { purchase: 2 } });
  const purchases = Array.from(shop.events.types).filter((t) => t === 2).length;
  assert.is(x.users.length, purchases);
  assert.is(x.numItems, 300);
  assert.is(x.itemIds.idOf(7), shop.items[7].id);
  assert.ok(Array.from(x.ratings).every((v) => v === 2));
  const parsed = parseInteractions(shopToCsv(shop, { events: ['purchase'], weights: { purchase: 2 } })).interactions;
  assert.is(parsed.users.length, purchases);
  assert.equal(Array.from(parsed.users, (u) => parsed.userIds.idOf(u)), Array.from(x.users, (u) => x.userIds.idOf(u)));
  assert.equal(Array.from(parsed.times), Array.from(x.times));
  assert.is(EVENT_TYPES.length, 3);
  assert.throws(() => shopInteractions(shop, { events: ['click' as any] }), (e: any) => e.code === 'ERR_RECKIT_INVALID_ARG');
  assert.throws(() => generateShop({ users: 0 }), (e: any) => e.code === 'ERR_RECKIT_OUT_OF_RANGE');
  assert.throws(() => generateShop({ categories: 17 }), (e: any) => e.code === 'ERR_RECKIT_OUT_OF_RANGE');
  assert.throws(() => generateShop({ seed: -1 }), (e: any) => e.code === 'ERR_RECKIT_OUT_OF_RANGE');
});

test.run();
