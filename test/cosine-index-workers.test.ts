// CosineIndex in worker_threads: the class is defined per environment (no static constructor), so two
// workers and the main thread build, search (sync and async) and exchange indexes (toBuffer) at once.
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CosineIndex } from '../lib/index';
import { randomVectors } from './helpers/topk-reference';
import { ROOT } from './helpers';

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const r = require(${JSON.stringify(path.join(ROOT, 'dist/lib/index.js'))});
const { dim, vectors, queries } = workerData;
const index = new r.CosineIndex({ dim, storage: 'bf16', rerank: true });
index.add(Array.from({ length: vectors.length / dim }, (_, i) => i * 3), vectors);
const sync = index.searchSync(queries, { k: 5 });
index.search(queries, { k: 5 }).then((res) => {
  const loaded = r.CosineIndex.fromBuffer(index.toBuffer());
  const again = loaded.searchSync(queries, { k: 5 });
  parentPort.postMessage({ sync: Array.from(sync.ids), async: Array.from(res.ids), loaded: Array.from(again.ids), scores: Array.from(res.scores) });
});
`;

test('two workers and the main thread each run their own CosineIndex and agree with each other', async () => {
  const dim = 24;
  const vectors = randomVectors(3000, dim, 501);
  const queries = randomVectors(10, dim, 502);
  const run = () =>
    new Promise<{ sync: number[]; async: number[]; loaded: number[]; scores: number[] }>((resolve, reject) => {
      const w = new Worker(WORKER, { eval: true, workerData: { dim, vectors, queries } });
      w.once('message', resolve);
      w.once('error', reject);
    });
  const main = new CosineIndex({ dim, storage: 'bf16', rerank: true });
  main.add(Array.from({ length: 3000 }, (_, i) => i * 3), vectors);
  const mainPending = main.search(queries, { k: 5 });
  const [a, b] = await Promise.all([run(), run()]);
  const expected = await mainPending;
  for (const w of [a, b]) {
    assert.equal(w.sync, Array.from(expected.ids));
    assert.equal(w.async, Array.from(expected.ids));
    assert.equal(w.loaded, Array.from(expected.ids));
    assert.equal(w.scores, Array.from(expected.scores));
  }
});

test.run();
