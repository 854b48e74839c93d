/**
 * GAN augmentation of sparse users' behaviour: a trained generative recommender (CFGAN) proposes, for each
 * chosen user, the items it scores highest among those they have not interacted with; those become
 * synthetic interactions added to the training log, so the downstream models see more of the sparse
 * users. Whether that helps is measured on held-out data, not assumed (see run-demo.ts).
 */
import { invalidArg } from '../errors';
import { itemsByUser, makeInteractions, type Interactions } from '../recsys/interactions';
import { topK } from '../recsys/metrics';
import type { Recommender } from '../recsys/model';

export interface AugmentResult {
  /** The training log plus the synthetic rows (same id maps). */
  train: Interactions;
  /** How many synthetic rows were added. */
  added: number;
}

/**
 * Adds `perUser` synthetic interactions for each of `users` (indices into `train`): the generator's
 * top-scored unseen items, with rating `weight` and a time just after the log's last event.
 */
export async function augmentUsers(
  train: Interactions,
  generator: Recommender,
  users: Int32Array,
  perUser: number,
  weight = 1,
): Promise<AugmentResult> {
  if (!Number.isInteger(perUser) || perUser < 0) throw invalidArg(`perUser must be a non-negative integer (got ${perUser})`);
  if (generator.numItems !== train.numItems || generator.numUsers !== train.numUsers) {
    throw invalidArg('the generator must be fitted on the training log being augmented');
  }
  const n = train.numItems;
  const seen = itemsByUser(train);
  const scores = await generator.scoreUsers(users);
  const extraUsers: number[] = [];
  const extraItems: number[] = [];
  const mask = new Uint8Array(n);
  for (let j = 0; j < users.length && perUser > 0; j++) {
    const u = users[j];
    for (let r = seen.offsets[u]; r < seen.offsets[u + 1]; r++) mask[seen.items[r]] = 1;
    for (const i of topK(scores.subarray(j * n, (j + 1) * n), Math.min(perUser, n), mask)) {
      extraUsers.push(u);
      extraItems.push(i);
    }
    for (let r = seen.offsets[u]; r < seen.offsets[u + 1]; r++) mask[seen.items[r]] = 0;
  }
  let last = 0;
  for (const t of train.times) last = Math.max(last, t);
  const m = train.users.length, e = extraUsers.length;
  const usersOut = new Int32Array(m + e);
  const itemsOut = new Int32Array(m + e);
  const ratings = new Float32Array(m + e);
  const times = new Float64Array(m + e);
  usersOut.set(train.users);
  itemsOut.set(train.items);
  ratings.set(train.ratings);
  times.set(train.times);
  usersOut.set(extraUsers, m);
  itemsOut.set(extraItems, m);
  ratings.fill(weight, m);
  times.fill(last + 1, m);
  const augmented = makeInteractions({ users: usersOut, items: itemsOut, ratings, times }, train.userIds, train.itemIds, train.hasTime);
  return { train: augmented, added: e };
}
