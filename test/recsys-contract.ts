// The Recommender contract as a reusable check (not a test file itself): every model's test calls
// checkRecommenderContract with a factory and a loader, so all models behave alike on bad input, dispose
// and save/load. Expected scores come from each model's own reference test, not from here.
import * as assert from 'uvu/assert';
import { IdMap, makeInteractions, type Interactions, type Recommender } from '../lib/index';

const code = (c: string) => (e: any) => e?.code === c;

async function rejects(p: Promise<unknown>, c: string, what: string): Promise<void> {
  await p.then(
    () => assert.unreachable(`${what} should reject`),
    (e) => assert.is(e.code, c, what),
  );
}

/**
 * Checks a fresh model from `create()` on `train` (ids: users and items of `train`): not-fitted errors,
 * recommend/similarItems shapes and codes, scoreUsers, a failed fit leaving the model unchanged,
 * save/toBuffer/load round-trips with identical results, corrupt images, and dispose.
 */
export async function checkRecommenderContract(
  create: () => Recommender,
  load: (source: string | Uint8Array) => Recommender,
  train: Interactions,
  tmpPath: string,
): Promise<void> {
  const model = create();
  assert.not.ok(model.fitted);
  assert.throws(() => model.recommend(train.userIds.idOf(0)), code('ERR_RECKIT_INVALID_ARG'));
  await model.fit(train);
  assert.ok(model.fitted);
  assert.is(model.numUsers, train.numUsers);
  assert.is(model.numItems, train.numItems);
  const user = train.userIds.idOf(train.users[0]);
  const item = train.itemIds.idOf(train.items[0]);

  const recs = model.recommend(user, { k: 3 });
  assert.ok(recs.length >= 1 && recs.length <= 3);
  const seen = new Set<number>();
  for (let r = 0; r < train.users.length; r++) if (train.users[r] === train.users[0]) seen.add(train.items[r]);
  for (const r of recs) {
    assert.not.ok(seen.has(r.index), 'seen items are excluded by default');
    assert.is(r.item, train.itemIds.idOf(r.index));
    assert.ok(Number.isFinite(r.score));
  }
  for (let j = 1; j < recs.length; j++) assert.ok(recs[j - 1].score >= recs[j].score, 'scores descend');
  const sim = model.similarItems(item, { k: 3 });
  assert.ok(sim.every((r) => r.item !== item), 'an item is not its own neighbour');

  // The batch hook agrees with recommend() for the same user.
  const u = train.users[0];
  const block = await model.scoreUsers(Int32Array.of(u, u));
  assert.is(block.length, 2 * train.numItems);
  for (const r of recs) assert.ok(Math.abs(block[r.index] - r.score) <= 1e-6 * Math.max(1, Math.abs(r.score)));
  assert.equal(Array.from(block.subarray(0, train.numItems)), Array.from(block.subarray(train.numItems)));

  // Bad input: codes, and the model unchanged afterwards.
  assert.throws(() => model.recommend('__no_such_user__'), code('ERR_RECKIT_OUT_OF_RANGE'));
  assert.ok(model.recommend('__no_such_user__', { k: 2, coldStart: 'popular' }).length === 2);
  assert.throws(() => model.similarItems('__no_such_item__'), code('ERR_RECKIT_OUT_OF_RANGE'));
  assert.throws(() => model.recommend(user, { k: train.numItems + 1 }), code('ERR_RECKIT_OUT_OF_RANGE'));
  assert.throws(() => model.recommend(user, { k: 0 }), code('ERR_RECKIT_OUT_OF_RANGE'));
  assert.throws(() => model.recommend(user, { k: Number.NaN }), code('ERR_RECKIT_OUT_OF_RANGE'));
  assert.throws(() => model.recommend(user, { k: '3' as any }), code('ERR_RECKIT_INVALID_ARG'));
  assert.throws(() => model.recommend(null as any), code('ERR_RECKIT_INVALID_ARG'));
  await rejects(Promise.resolve().then(() => model.scoreUsers(Int32Array.of(-1))), 'ERR_RECKIT_OUT_OF_RANGE', 'scoreUsers(-1)');
  await rejects(model.fit({} as any), 'ERR_RECKIT_INVALID_ARG', 'fit({})');
  assert.equal(model.recommend(user, { k: 3 }), recs);

  // A user in the id map with no training rows is a cold start like an unknown one, never a ranking of zeros.
  const withGhost = IdMap.from([...Array.from({ length: train.userIds.size }, (_, i) => train.userIds.idOf(i)), '__ghost__']);
  const ghostLog = makeInteractions({ users: train.users, items: train.items, ratings: train.ratings, times: train.hasTime ? train.times : undefined }, withGhost, train.itemIds, train.hasTime);
  const ghostly = create();
  await ghostly.fit(ghostLog, { seed: 1 } as any);
  assert.throws(() => ghostly.recommend('__ghost__', { k: 2 }), (e: any) => e?.code === 'ERR_RECKIT_OUT_OF_RANGE' && /no interactions/.test(e.message));
  assert.ok(ghostly.recommendAsync, 'every model has recommendAsync');
  await rejects(ghostly.recommendAsync!('__ghost__', { k: 2 }), 'ERR_RECKIT_OUT_OF_RANGE', 'recommendAsync(ghost)');
  const popular = ghostly.recommend('__no_such_user__', { k: 3, coldStart: 'popular' });
  assert.equal(ghostly.recommend('__ghost__', { k: 3, coldStart: 'popular' }), popular);
  assert.equal(await ghostly.recommendAsync!('__ghost__', { k: 3, coldStart: 'popular' }), popular);
  ghostly.dispose();

  // Persistence: file and buffer give the same answers; damaged images are refused.
  model.save(tmpPath);
  const fromFile = load(tmpPath);
  const image = model.toBuffer();
  const fromBuffer = load(image);
  assert.equal(fromFile.recommend(user, { k: 3 }), recs);
  assert.equal(fromBuffer.similarItems(item, { k: 3 }), sim);
  assert.throws(() => load(image.subarray(0, image.length - 5)), code('ERR_RECKIT_CORRUPT_FILE'));
  const flipped = Buffer.from(image);
  flipped[flipped.length - 2] ^= 0x5a;
  assert.throws(() => load(flipped), code('ERR_RECKIT_CORRUPT_FILE'));

  model.dispose();
  assert.throws(() => model.recommend(user), code('ERR_RECKIT_DISPOSED'));
  assert.throws(() => model.save(tmpPath), code('ERR_RECKIT_DISPOSED'));
  await rejects(model.fit(train), 'ERR_RECKIT_DISPOSED', 'fit after dispose');
  assert.equal(fromFile.recommend(user, { k: 3 }), recs, 'a loaded copy does not share the disposed state');
}
