/**
 * A seeded synthetic e-commerce shop, shipped as code so the demo and tests run anywhere: a catalogue of
 * named items in categories and price tiers with long-tail popularity, customers in segments with
 * category affinities and segment-specific tastes, and sessions of views, carts and purchases over time.
 * The structure is planted on purpose (segment → categories → items), so a recommender that learns it
 * beats popularity, and the sparsest customers are genuinely sparse (heavy-tailed activity).
 */
import { invalidArg } from '../errors';
import { requireInteger, requireNumber } from '../validate';
import { IdMap, makeInteractions, type Interactions } from './interactions';
import { Rng } from './prng';

/** Built-in categories with the product nouns their item names are made of. */
const CATEGORIES: readonly { name: string; nouns: readonly string[]; basePrice: number }[] = [
  { name: 'Coffee', nouns: ['Espresso Beans', 'Ground Coffee', 'Cold Brew Concentrate', 'Coffee Pods', 'Decaf Blend', 'Pour-Over Kettle'], basePrice: 12 },
  { name: 'Kitchen', nouns: ["Chef's Knife", 'Frying Pan', 'Cutting Board', 'Stock Pot', 'Spatula Set', 'Mixing Bowls'], basePrice: 30 },
  { name: 'Electronics', nouns: ['Wireless Earbuds', 'USB-C Charger', 'Bluetooth Speaker', 'Power Bank', 'Smart Plug', 'HDMI Cable'], basePrice: 45 },
  { name: 'Books', nouns: ['Mystery Novel', 'Cookbook', 'Sci-Fi Paperback', 'Biography', 'Travel Guide', 'Poetry Collection'], basePrice: 15 },
  { name: 'Outdoor', nouns: ['Hiking Backpack', 'Two-Person Tent', 'Water Bottle', 'Trekking Poles', 'Headlamp', 'Sleeping Bag'], basePrice: 50 },
  { name: 'Fitness', nouns: ['Yoga Mat', 'Dumbbell Set', 'Resistance Bands', 'Jump Rope', 'Foam Roller', 'Kettlebell'], basePrice: 25 },
  { name: 'Fashion', nouns: ['Cotton T-Shirt', 'Denim Jacket', 'Running Sneakers', 'Wool Scarf', 'Leather Belt', 'Rain Coat'], basePrice: 35 },
  { name: 'Beauty', nouns: ['Face Serum', 'Lip Balm', 'Shampoo', 'Sunscreen SPF50', 'Hand Cream', 'Face Mask'], basePrice: 14 },
  { name: 'Toys', nouns: ['Building Blocks', 'Jigsaw Puzzle', 'Plush Bear', 'Board Game', 'RC Car', 'Crayon Set'], basePrice: 20 },
  { name: 'Pets', nouns: ['Dog Food', 'Cat Toy', 'Pet Bed', 'Leash', 'Cat Litter', 'Chew Bones'], basePrice: 18 },
  { name: 'Garden', nouns: ['Seed Kit', 'Watering Can', 'Pruning Shears', 'Plant Pot', 'Compost', 'Garden Gloves'], basePrice: 16 },
  { name: 'Gaming', nouns: ['Controller', 'Gaming Mouse', 'Headset', 'Mechanical Keyboard', 'Gift Card', 'Mouse Pad'], basePrice: 40 },
  { name: 'Home', nouns: ['Throw Blanket', 'Scented Candle', 'Desk Lamp', 'Picture Frame', 'Cushion', 'Wall Clock'], basePrice: 22 },
  { name: 'Baby', nouns: ['Diapers', 'Baby Wipes', 'Bottle Set', 'Onesie', 'Teether', 'Baby Blanket'], basePrice: 17 },
  { name: 'Grocery', nouns: ['Olive Oil', 'Pasta', 'Granola', 'Dark Chocolate', 'Green Tea', 'Honey'], basePrice: 6 },
  { name: 'Office', nouns: ['Notebook', 'Gel Pens', 'Desk Organizer', 'Stapler', 'Sticky Notes', 'Monitor Stand'], basePrice: 10 },
];
const BRANDS = ['Northwind', 'Acme', 'Bluebird', 'Oakline', 'Kestrel', 'Lumen', 'Harbor', 'Juniper', 'Vireo', 'Copperleaf', 'Tandem', 'Meridian'];
export const TIERS = ['budget', 'standard', 'premium'] as const;
const TIER_WORDS: Record<(typeof TIERS)[number], readonly string[]> = {
  budget: ['Basic', 'Everyday', 'Value'],
  standard: ['Classic', 'Essential', 'Comfort'],
  premium: ['Premium', 'Pro', 'Artisan'],
};
const TIER_PRICE = [0.6, 1, 2.2];
const EPOCH_2026 = 1767225600; // 2026-01-01T00:00:00Z, seconds

export type EventType = 'view' | 'cart' | 'purchase';
export const EVENT_TYPES: readonly EventType[] = ['view', 'cart', 'purchase'];

export interface ShopOptions {
  /** Customers (default 2000). */
  users?: number;
  /** Catalogue size (default 600). */
  items?: number;
  /** Categories used, at most 16 (default 12). */
  categories?: number;
  /** Customer segments (default 6). */
  segments?: number;
  /** Zipf exponent of item popularity (default 1.0; larger is a longer, thinner tail). */
  popularityExponent?: number;
  /** Mean sessions per customer (default 6; the distribution is heavy-tailed). */
  meanSessions?: number;
  /** Time span of the log in days (default 90). */
  days?: number;
  seed?: number;
}

export interface ShopItem {
  id: string;
  name: string;
  category: string;
  tier: (typeof TIERS)[number];
  price: number;
  /** The planted popularity weight (long-tailed, largest 1). */
  popularity: number;
}

export interface ShopUser {
  id: string;
  segment: number;
}

export interface ShopSegment {
  name: string;
  /** Share of customers. */
  share: number;
  /** Probability of each category (index into `categories`) in a session. */
  categoryAffinity: number[];
  /** Relative preference for the budget, standard and premium tiers. */
  tierPreference: number[];
}

/** Every event of the log, in time order per user; `types` index {@link EVENT_TYPES}. */
export interface ShopEvents {
  users: Int32Array;
  items: Int32Array;
  types: Uint8Array;
  /** Unix seconds. */
  times: Float64Array;
  sessions: Int32Array;
}

export interface Shop {
  categories: string[];
  segments: ShopSegment[];
  items: ShopItem[];
  users: ShopUser[];
  events: ShopEvents;
  options: Required<ShopOptions>;
}

function resolve(o: ShopOptions): Required<ShopOptions> {
  if (o === null || typeof o !== 'object') throw invalidArg('options must be an object');
  const r = {
    users: requireInteger(o.users ?? 2000, 'users', 1, 10_000_000),
    items: requireInteger(o.items ?? 600, 'items', 1, 10_000_000),
    categories: requireInteger(o.categories ?? 12, 'categories', 1, CATEGORIES.length),
    segments: requireInteger(o.segments ?? 6, 'segments', 1, 64),
    popularityExponent: requireNumber(o.popularityExponent ?? 1.0, 'popularityExponent'),
    meanSessions: requireNumber(o.meanSessions ?? 6, 'meanSessions'),
    days: requireNumber(o.days ?? 90, 'days'),
    seed: requireInteger(o.seed ?? 0, 'seed', 0),
  };
  if (r.popularityExponent < 0 || r.popularityExponent > 4) throw invalidArg('popularityExponent must be in [0, 4]');
  if (r.meanSessions < 1 || r.meanSessions > 1000) throw invalidArg('meanSessions must be in [1, 1000]');
  if (r.days <= 0 || r.days > 3650) throw invalidArg('days must be in (0, 3650]');
  return r;
}

/** Generates the shop; the same options (seed included) always give the same shop. */
export function generateShop(options: ShopOptions = {}): Shop {
  const o = resolve(options);
  const cats = CATEGORIES.slice(0, o.categories);
  const rng = new Rng(o.seed, 0);

  // Catalogue: a random category and tier per item; popularity is Zipf over a random rank, so popular
  // items are spread across categories.
  const itemCat = new Int32Array(o.items);
  const itemTier = new Int32Array(o.items);
  const order = rng.shuffle(Int32Array.from({ length: o.items }, (_, i) => i));
  const pop = new Float64Array(o.items);
  for (let rank = 0; rank < o.items; rank++) pop[order[rank]] = 1 / Math.pow(rank + 1, o.popularityExponent);
  const items: ShopItem[] = [];
  const usedNames = new Set<string>();
  for (let i = 0; i < o.items; i++) {
    itemCat[i] = rng.int(o.categories);
    const t = rng.next();
    itemTier[i] = t < 0.4 ? 0 : t < 0.8 ? 1 : 2;
    const cat = cats[itemCat[i]];
    const tier = TIERS[itemTier[i]];
    let name = `${BRANDS[rng.int(BRANDS.length)]} ${TIER_WORDS[tier][rng.int(3)]} ${cat.nouns[rng.int(cat.nouns.length)]}`;
    for (let v = 2; usedNames.has(name); v++) name = `${name.replace(/ Mk \d+$/, '')} Mk ${v}`;
    usedNames.add(name);
    const price = Math.round(cat.basePrice * TIER_PRICE[itemTier[i]] * Math.exp(0.25 * rng.normal()) * 100) / 100;
    items.push({ id: `SKU-${String(i + 1).padStart(5, '0')}`, name, category: cat.name, tier, price, popularity: pop[i] });
  }

  // Segments: two primary categories each (spread over the catalogue), a little of everything else,
  // a tier preference, and a taste multiplier per item that makes segment members agree beyond category.
  const segments: ShopSegment[] = [];
  const shareWeights = Array.from({ length: o.segments }, () => 0.5 + rng.next());
  const shareSum = shareWeights.reduce((a, b) => a + b, 0);
  for (let s = 0; s < o.segments; s++) {
    const a = (2 * s) % o.categories;
    const b = (2 * s + 1) % o.categories;
    const aff = Array.from({ length: o.categories }, () => 0.05 + 0.1 * rng.next());
    aff[a] += 3;
    aff[b] += 1.5;
    const sum = aff.reduce((x, y) => x + y, 0);
    const tierPreference = [[3, 1.5, 0.5], [1, 2, 1], [0.4, 1.2, 3]][rng.int(3)];
    const label = a === b ? cats[a].name : `${cats[a].name} & ${cats[b].name}`;
    segments.push({ name: `${label} fans`, share: shareWeights[s] / shareSum, categoryAffinity: aff.map((x) => x / sum), tierPreference });
  }
  const taste = new Float64Array(o.segments * o.items);
  for (let j = 0; j < taste.length; j++) taste[j] = Math.exp(1.2 * rng.normal());

  // Per (segment, category): the category's items with cumulative pick weights.
  const catItems: Int32Array[] = cats.map((_, c) => Int32Array.from(Array.from({ length: o.items }, (_, i) => i).filter((i) => itemCat[i] === c)));
  const cumulative: Float64Array[][] = segments.map((seg, s) =>
    catItems.map((list) => {
      const cum = new Float64Array(list.length);
      let acc = 0;
      for (let j = 0; j < list.length; j++) {
        const i = list[j];
        acc += pop[i] * taste[s * o.items + i] * seg.tierPreference[itemTier[i]];
        cum[j] = acc;
      }
      return cum;
    }),
  );
  const shareCum = Float64Array.from(segments.map((s) => s.share));
  for (let s = 1; s < shareCum.length; s++) shareCum[s] += shareCum[s - 1];

  const users: ShopUser[] = [];
  const eu: number[] = [];
  const ei: number[] = [];
  const et: number[] = [];
  const etime: number[] = [];
  const es: number[] = [];
  let session = 0;
  const span = o.days * 86400;
  for (let u = 0; u < o.users; u++) {
    const r = new Rng(o.seed, u + 1); // one stream per customer: adding customers does not reshuffle others
    const s = r.pickCumulative(shareCum);
    users.push({ id: `U-${String(u + 1).padStart(6, '0')}`, segment: s });
    // A personal twist on the segment's affinities, then a heavy-tailed number of sessions
    // (log-normal: most customers are occasional, a few are regulars).
    const personal = segments[s].categoryAffinity.map((a) => a * Math.exp(0.6 * r.normal()));
    const personalCum = Float64Array.from(personal);
    for (let c = 1; c < personalCum.length; c++) personalCum[c] += personalCum[c - 1];
    const nSessions = Math.max(1, Math.min(200, Math.round(Math.exp(Math.log(o.meanSessions) - 0.5 + 1.0 * r.normal()))));
    const starts = Array.from({ length: nSessions }, () => r.next() * span).sort((x, y) => x - y);
    let clock = 0; // sessions of one customer never overlap: a session starts after the previous ends
    for (const start of starts) {
      let t = Math.max(EPOCH_2026 + Math.floor(start), clock);
      let c = r.pickCumulative(personalCum);
      if (catItems[c].length === 0) c = itemCat[0];
      const views = 1 + Math.min(12, Math.floor(-Math.log(1 - r.next()) * 2.5));
      const carted: number[] = [];
      let prev = -1;
      for (let v = 0; v < views; v++) {
        const item = catItems[c][r.pickCumulative(cumulative[s][c])];
        if (item === prev) continue;
        prev = item;
        push(u, item, 0, t, session);
        t += 20 + r.int(180);
        if (r.next() < 0.3) {
          push(u, item, 1, t, session);
          t += 10 + r.int(60);
          carted.push(item);
        }
      }
      for (const item of carted) {
        if (r.next() < 0.6) {
          push(u, item, 2, t, session);
          t += 5;
        }
      }
      clock = t + 600;
      session++;
    }
  }
  function push(u: number, i: number, type: number, time: number, sess: number): void {
    eu.push(u);
    ei.push(i);
    et.push(type);
    etime.push(time);
    es.push(sess);
  }
  return {
    categories: cats.map((c) => c.name),
    segments,
    items,
    users,
    events: { users: Int32Array.from(eu), items: Int32Array.from(ei), types: Uint8Array.from(et), times: Float64Array.from(etime), sessions: Int32Array.from(es) },
    options: o,
  };
}

export interface ShopInteractionOptions {
  /** Which events become interactions (default all three). */
  events?: EventType[];
  /** Weight of each event type as the interaction's rating (default view 1, cart 3, purchase 5). */
  weights?: Partial<Record<EventType, number>>;
}

/**
 * The shop's events as interactions (one row per event; clean() merges repeats). The id maps hold every
 * customer and item of the shop in catalogue order, so `shop.items[index]` names an item index.
 */
export function shopInteractions(shop: Shop, options: ShopInteractionOptions = {}): Interactions {
  const kinds = options.events ?? [...EVENT_TYPES];
  if (!Array.isArray(kinds) || kinds.length === 0 || kinds.some((k) => !EVENT_TYPES.includes(k))) {
    throw invalidArg(`events must be a non-empty list of ${EVENT_TYPES.join(', ')}`);
  }
  const weights = { view: 1, cart: 3, purchase: 5, ...options.weights };
  const wanted = EVENT_TYPES.map((t) => kinds.includes(t));
  const e = shop.events;
  let n = 0;
  for (let r = 0; r < e.types.length; r++) if (wanted[e.types[r]]) n++;
  const users = new Int32Array(n);
  const items = new Int32Array(n);
  const ratings = new Float32Array(n);
  const times = new Float64Array(n);
  let w = 0;
  for (let r = 0; r < e.types.length; r++) {
    if (!wanted[e.types[r]]) continue;
    users[w] = e.users[r];
    items[w] = e.items[r];
    ratings[w] = weights[EVENT_TYPES[e.types[r]]];
    times[w] = e.times[r];
    w++;
  }
  return makeInteractions({ users, items, ratings, times }, IdMap.from(shop.users.map((u) => u.id)), IdMap.from(shop.items.map((i) => i.id)), true);
}

/** The event log as CSV (`user,item,event,rating,timestamp`), e.g. to feed `reckit evaluate`. */
export function shopToCsv(shop: Shop, options: ShopInteractionOptions = {}): string {
  const weights = { view: 1, cart: 3, purchase: 5, ...options.weights };
  const e = shop.events;
  const lines = ['user,item,event,rating,timestamp'];
  for (let r = 0; r < e.types.length; r++) {
    const type = EVENT_TYPES[e.types[r]];
    if (options.events && !options.events.includes(type)) continue;
    lines.push(`${shop.users[e.users[r]].id},${shop.items[e.items[r]].id},${type},${weights[type]},${e.times[r]}`);
  }
  return `${lines.join('\n')}\n`;
}
