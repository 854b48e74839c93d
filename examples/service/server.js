#!/usr/bin/env node
// Starts the recommendation service in one command:
//   node examples/service/server.js                      trains BPR (or ItemKNN, TopPop) on the built-in
//                                                        synthetic shop, then serves it with item names
//   node examples/service/server.js --model m.safetensors   serves a saved model
// Options: --port 8080 (0 picks a free port), --host 127.0.0.1, --save FILE (keep the trained model).
'use strict';
const { parseArgs } = require('node:util');
const reckit = require('reckit');
const { createService, loadModelFile } = require('./service');

async function trainOnShop(save) {
  const shop = reckit.generateShop({ users: 2000, items: 600, seed: 42 });
  const log = reckit.clean(reckit.shopInteractions(shop, { events: ['cart', 'purchase'] }), { implicit: true }).interactions;
  const name = ['bpr', 'itemknn', 'toppop'].find((m) => reckit.modelNames().includes(m));
  const model = reckit.createModel(name);
  console.log(`training ${name} on the synthetic shop (${log.users.length} interactions)...`);
  await model.fit(log, { seed: 42 });
  if (save) model.save(save);
  return { model, names: new Map(shop.items.map((i) => [i.id, `${i.name} (${i.category})`])), example: shop.users[0].id };
}

async function main() {
  const { values } = parseArgs({
    options: { model: { type: 'string' }, port: { type: 'string', default: '8080' }, host: { type: 'string', default: '127.0.0.1' }, save: { type: 'string' } },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535 (got ${values.port})`);
  const loaded = values.model ? { model: await loadModelFile(values.model), names: new Map(), example: null } : await trainOnShop(values.save);
  const server = createService(loaded.model, { names: loaded.names });
  server.listen(port, values.host, () => {
    const { address, port: bound } = server.address();
    const base = `http://${address}:${bound}`;
    console.log(`serving ${loaded.model.name} (${loaded.model.numUsers} users × ${loaded.model.numItems} items) on ${base}`);
    const user = loaded.example ?? '<user id>';
    console.log(`try: curl '${base}/recommend?user=${user}&k=5'   curl '${base}/similar?item=SKU-00001&k=5'`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error) => {
  console.error(error.message ?? error);
  process.exitCode = 1;
});
