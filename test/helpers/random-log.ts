// The small random purchase log the CFGAN tests train on (test/recsys-cfgan.test.ts and the device conformance
// case test/conformance/cfgan-device.conformance.ts): one fixture, so the CPU and device cases see the same data.
import { Rng, clean, fromRows, type Interactions } from '../../lib/index';

// `users` users with 2–9 purchases each, items skewed towards the low ids (u², so some items are popular),
// cleaned as the recommenders expect.
export function randomLog(seed: number, users = 30, items = 25): Interactions {
  const rng = new Rng(seed);
  const rows = [];
  for (let u = 0; u < users; u++) {
    const n = 2 + rng.int(8);
    for (let j = 0; j < n; j++) rows.push({ user: `user${u}`, item: `sku${Math.floor(Math.pow(rng.next(), 2) * items)}`, time: j });
  }
  return clean(fromRows(rows)).interactions;
}
