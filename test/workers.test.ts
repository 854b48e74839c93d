import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ops, random } from '../lib/index';
import { ROOT } from './helpers';

// Each worker loads the addon itself (a context-aware addon has no shared JS state) and computes.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const r = require(${JSON.stringify(path.join(ROOT, 'dist/lib/index.js'))});
const a = r.random.uniform(4096, { seed: workerData.seed });
const out = { dot: r.ops.dot(a, a), first: a[0] };
r.random.normalAsync(1000, { seed: workerData.seed }).then((z) => {
  out.normalSum = z.reduce((s, x) => s + x, 0);
  parentPort.postMessage(out);
});
`;

function runWorker(seed: number): Promise<{ dot: number; first: number; normalSum: number }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER, { eval: true, workerData: { seed } });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

test('the addon loads and computes in two worker_threads and the main thread at once', async () => {
  const mainPromise = random.normalAsync(1000, { seed: 1 });
  const [w1, w2] = await Promise.all([runWorker(1), runWorker(2)]);
  for (const [seed, w] of [[1, w1], [2, w2]] as const) {
    const a = random.uniform(4096, { seed });
    assert.is(w.first, a[0]);
    assert.is(w.dot, ops.dot(a, a));
    assert.is(w.normalSum, random.normal(1000, { seed }).reduce((s, x) => s + x, 0));
  }
  assert.is((await mainPromise).length, 1000);
});

test.run();
