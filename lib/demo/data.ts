/**
 * Where the demo's interactions come from: the embedded synthetic shop (default: named items in
 * categories, customers in segments) or an interaction file (`--data`, e.g. MovieLens u.data, whose
 * titles are picked up from a u.item next to it). Either way the result is an interaction log plus ways
 * to describe items and users in the printed recommendations.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadInteractions, type LoadOptions, type LoadReport } from '../recsys/load';
import type { Interactions, RawId } from '../recsys/interactions';
import { generateShop, shopInteractions, type Shop, type ShopOptions } from '../recsys/synthetic-shop';

export interface DemoData {
  /** One line saying what was loaded or generated. */
  description: string;
  interactions: Interactions;
  /** A readable label for an item id ("Acme Pro Yoga Mat (Fitness, $31.20)", a movie title, or the id). */
  itemLabel(id: RawId): string;
  /** Extra words about a user (their shop segment), or ''. */
  userLabel(id: RawId): string;
  shop?: Shop;
  load?: LoadReport;
}

/** The synthetic shop with carts and purchases as implicit positives (views are too noisy a signal). */
export function shopData(options: ShopOptions): DemoData {
  const shop = generateShop(options);
  const interactions = shopInteractions(shop, { events: ['cart', 'purchase'] });
  const items = new Map(shop.items.map((i) => [i.id, i]));
  const users = new Map(shop.users.map((u) => [u.id, u]));
  const o = shop.options;
  return {
    description: `synthetic shop (seed ${o.seed}): ${o.users} customers in ${o.segments} segments, ${o.items} items in ${o.categories} categories, ${shop.events.users.length} events (views, carts, purchases) over ${o.days} days; carts and purchases are the positives`,
    interactions,
    itemLabel: (id) => {
      const item = items.get(String(id));
      return item ? `${item.name} (${item.category}, $${item.price.toFixed(2)})` : String(id);
    },
    userLabel: (id) => {
      const user = users.get(String(id));
      return user ? shop.segments[user.segment].name : '';
    },
    shop,
  };
}

/** MovieLens' u.item: `id|title|...` in latin1; any other file next to the data is ignored. */
function movieTitles(dataPath: string): Map<string, string> | null {
  const path = join(dirname(dataPath), 'u.item');
  if (!existsSync(path)) return null;
  const titles = new Map<string, string>();
  for (const line of readFileSync(path, 'latin1').split('\n')) {
    const [id, title] = line.split('|');
    if (id && title) titles.set(id.trim(), title.trim());
  }
  return titles.size > 0 ? titles : null;
}

export async function fileData(path: string, options: LoadOptions): Promise<DemoData> {
  const { interactions, report } = await loadInteractions(path, options);
  const titles = movieTitles(path);
  const malformed = report.malformed > 0 ? `, ${report.malformed} malformed row(s) skipped` : '';
  return {
    description: `${path}: ${report.loaded} rows${malformed}${titles ? `, ${titles.size} titles from u.item` : ''}`,
    interactions,
    itemLabel: (id) => titles?.get(String(id)) ?? `item ${String(id)}`,
    userLabel: () => '',
    load: report,
  };
}
