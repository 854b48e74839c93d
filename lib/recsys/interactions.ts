/**
 * The interaction log every recommender in reckit consumes: parallel typed arrays of dense user and item
 * indices, ratings/weights and timestamps, plus the maps between the caller's ids (strings or numbers)
 * and those dense indices. Splits keep the id maps of the full log, so train and test indices agree.
 */
import { dimMismatch, invalidArg, outOfRange } from '../errors';

/** A user's or item's id as the caller knows it. */
export type RawId = string | number;

/**
 * A two-way map between raw ids and dense indices 0..size-1. Lookups accept the id as a number or as its
 * decimal string (`42` and `'42'` are the same id), because files carry text and callers carry numbers.
 */
export class IdMap {
  private readonly index = new Map<string, number>();
  private readonly ids: RawId[] = [];

  /** Builds a map from ids in index order. */
  static from(ids: Iterable<RawId>): IdMap {
    const map = new IdMap();
    for (const id of ids) {
      if (map.index.has(String(id))) throw invalidArg(`duplicate id '${String(id)}' in an id map`);
      map.add(id);
    }
    return map;
  }

  get size(): number {
    return this.ids.length;
  }

  /** The index of `id`, adding it when new. */
  add(id: RawId): number {
    const key = String(id);
    const found = this.index.get(key);
    if (found !== undefined) return found;
    const i = this.ids.length;
    this.index.set(key, i);
    this.ids.push(id);
    return i;
  }

  /** The index of `id`, or -1 when unknown. */
  indexOf(id: RawId): number {
    return this.index.get(String(id)) ?? -1;
  }

  has(id: RawId): boolean {
    return this.index.has(String(id));
  }

  /** The raw id of dense index `i`. */
  idOf(i: number): RawId {
    if (!Number.isInteger(i) || i < 0 || i >= this.ids.length) throw outOfRange(`index ${i} is outside 0..${this.ids.length - 1}`);
    return this.ids[i];
  }

  /** All raw ids in index order (a copy). */
  toArray(): RawId[] {
    return this.ids.slice();
  }

  /** True when every id is a number (so a saved map can restore numbers, not strings). */
  allNumeric(): boolean {
    return this.ids.every((id) => typeof id === 'number');
  }
}

/** An interaction log: row r says user `users[r]` met item `items[r]` with weight `ratings[r]` at `times[r]`. */
export interface Interactions {
  readonly users: Int32Array;
  readonly items: Int32Array;
  /** Rating, count or weight; 1 for implicit feedback. */
  readonly ratings: Float32Array;
  /** Timestamps (any monotone unit); the row number when the source had no time column. */
  readonly times: Float64Array;
  /** False when `times` are row numbers, not real timestamps. */
  readonly hasTime: boolean;
  readonly userIds: IdMap;
  readonly itemIds: IdMap;
  /** Dense index ranges: users are 0..numUsers-1 and items 0..numItems-1 (some may have no rows). */
  readonly numUsers: number;
  readonly numItems: number;
}

export interface InteractionArrays {
  users: Int32Array;
  items: Int32Array;
  ratings?: Float32Array;
  times?: Float64Array;
}

/** Wraps arrays into an {@link Interactions}, checking lengths and index ranges. */
export function makeInteractions(a: InteractionArrays, userIds: IdMap, itemIds: IdMap, hasTime = a.times !== undefined): Interactions {
  const n = a.users.length;
  if (!(a.users instanceof Int32Array) || !(a.items instanceof Int32Array)) throw invalidArg('users and items must be Int32Arrays');
  if (a.items.length !== n) throw dimMismatch(`items has ${a.items.length} rows, users has ${n}`);
  const ratings = a.ratings ?? new Float32Array(n).fill(1);
  if (ratings.length !== n) throw dimMismatch(`ratings has ${ratings.length} rows, users has ${n}`);
  let times = a.times;
  if (!times) {
    times = new Float64Array(n);
    for (let r = 0; r < n; r++) times[r] = r;
  }
  if (times.length !== n) throw dimMismatch(`times has ${times.length} rows, users has ${n}`);
  const numUsers = userIds.size;
  const numItems = itemIds.size;
  for (let r = 0; r < n; r++) {
    if (a.users[r] < 0 || a.users[r] >= numUsers) throw outOfRange(`users[${r}] = ${a.users[r]} is outside 0..${numUsers - 1}`);
    if (a.items[r] < 0 || a.items[r] >= numItems) throw outOfRange(`items[${r}] = ${a.items[r]} is outside 0..${numItems - 1}`);
    if (!Number.isFinite(ratings[r])) throw outOfRange(`ratings[${r}] is not finite`);
    if (Number.isNaN(times[r])) throw outOfRange(`times[${r}] is NaN`);
  }
  return { users: a.users, items: a.items, ratings, times, hasTime, userIds, itemIds, numUsers, numItems };
}

/**
 * Builds interactions from plain rows of raw ids (handy for tests, services and generated data). Ids get
 * dense indices in order of first appearance.
 */
export function fromRows(rows: Iterable<{ user: RawId; item: RawId; rating?: number; time?: number }>): Interactions {
  const userIds = new IdMap();
  const itemIds = new IdMap();
  const u: number[] = [];
  const i: number[] = [];
  const r: number[] = [];
  const t: number[] = [];
  let hasTime = true;
  for (const row of rows) {
    if (row === null || typeof row !== 'object') throw invalidArg('each row must be an object { user, item, rating?, time? }');
    for (const key of ['user', 'item'] as const) {
      const v = row[key];
      if (!((typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length > 0))) {
        throw invalidArg(`row ${u.length}: ${key} must be a non-empty string or a finite number`);
      }
    }
    u.push(userIds.add(row.user));
    i.push(itemIds.add(row.item));
    r.push(row.rating ?? 1);
    if (row.time === undefined) hasTime = false;
    t.push(row.time ?? u.length - 1);
  }
  return makeInteractions(
    { users: Int32Array.from(u), items: Int32Array.from(i), ratings: Float32Array.from(r), times: hasTime ? Float64Array.from(t) : undefined },
    userIds,
    itemIds,
    hasTime,
  );
}

/** The rows where `keep[r]` is nonzero, with the same id maps (indices stay valid across subsets). */
export function selectRows(x: Interactions, keep: Uint8Array): Interactions {
  let n = 0;
  for (let r = 0; r < keep.length; r++) if (keep[r]) n++;
  const users = new Int32Array(n);
  const items = new Int32Array(n);
  const ratings = new Float32Array(n);
  const times = new Float64Array(n);
  let w = 0;
  for (let r = 0; r < keep.length; r++) {
    if (!keep[r]) continue;
    users[w] = x.users[r];
    items[w] = x.items[r];
    ratings[w] = x.ratings[r];
    times[w] = x.times[r];
    w++;
  }
  return { users, items, ratings, times, hasTime: x.hasTime, userIds: x.userIds, itemIds: x.itemIds, numUsers: x.numUsers, numItems: x.numItems };
}

/**
 * Drops users and items without rows and renumbers the rest densely (in order of their old index), with
 * new id maps. Used after cleaning so the catalogue is what the data actually holds.
 */
export function compact(x: Interactions): Interactions {
  const userNew = new Int32Array(x.numUsers).fill(-1);
  const itemNew = new Int32Array(x.numItems).fill(-1);
  for (let r = 0; r < x.users.length; r++) {
    userNew[x.users[r]] = 0;
    itemNew[x.items[r]] = 0;
  }
  const userIds = new IdMap();
  const itemIds = new IdMap();
  for (let u = 0; u < x.numUsers; u++) if (userNew[u] === 0) userNew[u] = userIds.add(x.userIds.idOf(u));
  for (let i = 0; i < x.numItems; i++) if (itemNew[i] === 0) itemNew[i] = itemIds.add(x.itemIds.idOf(i));
  const users = new Int32Array(x.users.length);
  const items = new Int32Array(x.items.length);
  for (let r = 0; r < x.users.length; r++) {
    users[r] = userNew[x.users[r]];
    items[r] = itemNew[x.items[r]];
  }
  return {
    users, items, ratings: x.ratings.slice(), times: x.times.slice(), hasTime: x.hasTime,
    userIds, itemIds, numUsers: userIds.size, numItems: itemIds.size,
  };
}

/** Compressed rows by user: user u's rows are `rows[offsets[u] .. offsets[u+1])` (row indices, log order). */
export interface UserRows {
  offsets: Int32Array;
  rows: Int32Array;
}

/** Groups row indices by user (a counting sort, stable: each user's rows stay in log order). */
export function rowsByUser(x: Interactions): UserRows {
  const offsets = new Int32Array(x.numUsers + 1);
  for (let r = 0; r < x.users.length; r++) offsets[x.users[r] + 1]++;
  for (let u = 0; u < x.numUsers; u++) offsets[u + 1] += offsets[u];
  const cursor = offsets.slice(0, x.numUsers);
  const rows = new Int32Array(x.users.length);
  for (let r = 0; r < x.users.length; r++) rows[cursor[x.users[r]]++] = r;
  return { offsets, rows };
}

/** Each user's distinct items, sorted ascending, as CSR (`items[offsets[u] .. offsets[u+1])`). */
export interface UserItems {
  offsets: Int32Array;
  items: Int32Array;
}

/** The distinct items of every user, sorted (what "seen" means for exclusion and what "relevant" means in test). */
export function itemsByUser(x: Interactions): UserItems {
  const byUser = rowsByUser(x);
  const offsets = new Int32Array(x.numUsers + 1);
  const out: Int32Array[] = [];
  let total = 0;
  for (let u = 0; u < x.numUsers; u++) {
    const start = byUser.offsets[u];
    const end = byUser.offsets[u + 1];
    const list = new Int32Array(end - start);
    for (let j = start; j < end; j++) list[j - start] = x.items[byUser.rows[j]];
    list.sort();
    let m = 0;
    for (let j = 0; j < list.length; j++) if (j === 0 || list[j] !== list[j - 1]) list[m++] = list[j];
    out.push(list.subarray(0, m));
    total += m;
    offsets[u + 1] = total;
  }
  const items = new Int32Array(total);
  for (let u = 0; u < x.numUsers; u++) items.set(out[u], offsets[u]);
  return { offsets, items };
}

/** How many rows each item has (its popularity in this log). */
export function itemCounts(x: Interactions): Float64Array {
  const counts = new Float64Array(x.numItems);
  for (let r = 0; r < x.items.length; r++) counts[x.items[r]]++;
  return counts;
}

/** A sparse matrix in compressed rows: row r's columns are `indices[offsets[r] .. offsets[r+1])`, sorted. */
export interface Csr {
  rows: number;
  cols: number;
  offsets: Int32Array;
  indices: Int32Array;
  values: Float32Array;
}

/**
 * The log as a sparse user × item (or item × user) matrix, the form native models take. Repeated pairs
 * are summed; `binary` stores 1 for every present pair instead of the rating.
 */
export function toCsr(x: Interactions, options: { by?: 'user' | 'item'; binary?: boolean } = {}): Csr {
  const byItem = options.by === 'item';
  if (options.by !== undefined && options.by !== 'user' && options.by !== 'item') throw invalidArg("by must be 'user' or 'item'");
  const rowOf = byItem ? x.items : x.users;
  const colOf = byItem ? x.users : x.items;
  const rows = byItem ? x.numItems : x.numUsers;
  const cols = byItem ? x.numUsers : x.numItems;
  const n = rowOf.length;
  // Counting sort by row, then each row's entries sorted by column and merged.
  const start = new Int32Array(rows + 1);
  for (let r = 0; r < n; r++) start[rowOf[r] + 1]++;
  for (let i = 0; i < rows; i++) start[i + 1] += start[i];
  const cursor = start.slice(0, rows);
  const order = new Int32Array(n);
  for (let r = 0; r < n; r++) order[cursor[rowOf[r]]++] = r;
  const offsets = new Int32Array(rows + 1);
  const indices = new Int32Array(n);
  const values = new Float32Array(n);
  let w = 0;
  for (let i = 0; i < rows; i++) {
    const seg = Array.from(order.subarray(start[i], start[i + 1])).sort((a, b) => colOf[a] - colOf[b]);
    for (let j = 0; j < seg.length; j++) {
      const r = seg[j];
      const v = options.binary ? 1 : x.ratings[r];
      if (w > offsets[i] && indices[w - 1] === colOf[r]) {
        if (!options.binary) values[w - 1] += v;
      } else {
        indices[w] = colOf[r];
        values[w] = v;
        w++;
      }
    }
    offsets[i + 1] = w;
  }
  return { rows, cols, offsets, indices: indices.slice(0, w), values: values.slice(0, w) };
}
