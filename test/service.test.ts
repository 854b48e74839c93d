// examples/service: a saved model served over node:http on 127.0.0.1 with a free port. Answers equal the
// model's own recommend/similarItems, bad input is 400 with a code, unknown ids 404; requests are
// answered while a CFGAN fit runs in the same process; server.js starts it in one command.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CFGAN, clean, createModel, generateShop, shopInteractions, type Recommender } from '../lib/index';
import { ROOT } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { createService, loadModelFile } = require('../examples/service/service.js');

const dir = mkdtempSync(join(tmpdir(), 'reckit-service-'));
const shop = generateShop({ users: 400, items: 150, seed: 5 });
const log = clean(shopInteractions(shop, { events: ['cart', 'purchase'] }), { implicit: true }).interactions;
const modelPath = join(dir, 'model.safetensors');
let reference: Recommender;
let server: Server;
let base: string;

async function get(path: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const r = await fetch(`${base}${path}`, init);
  return { status: r.status, body: await r.json() };
}

test.before(async () => {
  reference = createModel('itemknn');
  await reference.fit(log, { seed: 1 });
  reference.save(modelPath);
  const served = await loadModelFile(modelPath);
  server = createService(served, { names: new Map(shop.items.map((i) => [i.id, i.name])) });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

test.after(async () => {
  await new Promise((resolve) => server.close(resolve));
});

test('/health, /recommend and /similar answer what the model itself answers', async () => {
  const health = await get('/health');
  assert.equal(health, { status: 200, body: { status: 'ok', model: 'itemknn', users: log.numUsers, items: log.numItems } });
  for (const u of [0, 7, 42]) {
    const user = String(log.userIds.idOf(u));
    const r = await get(`/recommend?user=${encodeURIComponent(user)}&k=5`);
    assert.is(r.status, 200);
    const want = reference.recommend(user, { k: 5 });
    assert.equal(r.body.items.map((x: any) => [x.item, x.score]), want.map((x) => [x.item, x.score]));
    assert.is(r.body.items[0].name, shop.items.find((i) => i.id === want[0].item)!.name);
  }
  const item = String(log.itemIds.idOf(3));
  const s = await get(`/similar?item=${item}&k=4`);
  assert.is(s.status, 200);
  assert.equal(s.body.items.map((x: any) => x.item), reference.similarItems(item, { k: 4 }).map((x) => x.item));
  const dflt = await get(`/recommend?user=${log.userIds.idOf(1)}`);
  assert.is(dflt.body.items.length, 10);
  const cold = await get('/recommend?user=nobody&k=3&coldStart=popular');
  assert.equal(cold.body.items.map((x: any) => x.item), reference.recommend('nobody', { k: 3, coldStart: 'popular' }).map((x) => x.item));
});

test('bad input is 400 with a code; unknown ids 404; other routes and methods 404/405', async () => {
  const user = String(log.userIds.idOf(0));
  for (const q of ['/recommend', '/recommend?user=', `/recommend?user=${user}&k=0`, `/recommend?user=${user}&k=abc`, `/recommend?user=${user}&k=2.5`, `/recommend?user=${user}&k=100000`, '/similar', '/similar?item=SKU-00001&k=-1']) {
    const r = await get(q);
    assert.is(r.status, 400, q);
    assert.is(r.body.code, 'ERR_BAD_REQUEST', q);
    assert.type(r.body.error, 'string');
  }
  const unknownUser = await get('/recommend?user=nobody');
  assert.is(unknownUser.status, 404);
  assert.is(unknownUser.body.code, 'ERR_RECKIT_OUT_OF_RANGE');
  assert.is((await get('/similar?item=no-such-sku')).status, 404);
  assert.is((await get('/nope')).status, 404);
  assert.is((await get(`/recommend?user=${user}`, { method: 'POST' })).status, 405);
});

test('requests are answered while a CFGAN fit runs in the same process', async () => {
  const ctl = new AbortController();
  let epochs = 0;
  let finished = false;
  let started!: () => void;
  const running = new Promise<void>((r) => (started = r));
  const gan = new CFGAN({ epochs: 1_000_000 });
  const fit = gan.fit(log, { signal: ctl.signal, onProgress: (p) => (epochs = p.done) === 1 && started() }).finally(() => (finished = true));
  await running; // the fit is under way on the thread pool
  const user = String(log.userIds.idOf(2));
  for (let j = 0; j < 5; j++) {
    const r = await get(`/recommend?user=${user}&k=3`);
    assert.is(r.status, 200);
    assert.not.ok(finished, 'answered while the fit is still running');
  }
  assert.ok(epochs >= 1);
  ctl.abort();
  await fit.then(() => assert.unreachable(), (e) => assert.is(e.name, 'AbortError'));
  gan.dispose();
});

test('server.js starts the service in one command and serves a saved model', async () => {
  const child = spawn(process.execPath, ['examples/service/server.js', '--model', modelPath, '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    const r = await fetch(`${url}/health`);
    assert.is(r.status, 200);
    assert.is((await r.json()).model, 'itemknn');
  } finally {
    child.kill('SIGTERM');
  }
});

test.run();
