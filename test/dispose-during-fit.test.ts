// dispose() while a fit is running, the same for every trainable class: the native work stops at its next
// step (as with an AbortSignal), the fit rejects with ERR_RECKIT_DISPOSED, every later call raises
// ERR_RECKIT_DISPOSED, and nothing the running work still uses is freed under it (the ASan suite runs this).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Bpr, CFGAN, Gan, Mlp, Rng, TabularSynthesizer, clean, fromRows, type Interactions } from '../lib/index';

const LONG = 100_000;  // epochs no test waits for: the fit must stop

async function rejection(p: Promise<unknown>): Promise<string> {
  return p.then(() => 'resolved', (e: { code?: string; name?: string }) => e.code ?? e.name ?? String(e));
}

function codeOf(f: () => unknown): string {
  try {
    const r = f();
    return r instanceof Promise ? 'promise' : 'returned';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

function seeded(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
}

function log(seed: number): Interactions {
  const rng = new Rng(seed);
  const rows = [];
  for (let u = 0; u < 20; u++) for (let j = 0; j < 4; j++) rows.push({ user: `u${u}`, item: `i${rng.int(15)}` });
  return clean(fromRows(rows)).interactions;
}

test('Gan: dispose from a progress callback stops the fit, which rejects with ERR_RECKIT_DISPOSED', async () => {
  const gan = new Gan({ dataDim: 3, noiseDim: 2, generator: [{ units: 8 }], discriminator: [{ units: 8 }], outputActivation: 'linear', seed: 1 });
  let epochs = 0;
  const got = await rejection(gan.fit(seeded(60, 1), { epochs: LONG, batchSize: 6, onProgress: () => (++epochs === 2 ? gan.dispose() : undefined) }));
  assert.is(got, 'ERR_RECKIT_DISPOSED');
  assert.ok(epochs < LONG, `stopped after ${epochs} epochs`);
  assert.is(codeOf(() => gan.sample(2)), 'ERR_RECKIT_DISPOSED');
  assert.is(await rejection(gan.fit(seeded(6, 2), { epochs: 1, batchSize: 2 })), 'ERR_RECKIT_DISPOSED');
});

test('Gan and Mlp: dispose right after starting a fit gives ERR_RECKIT_DISPOSED, never a result or AbortError', async () => {
  const gan = new Gan({ dataDim: 3, noiseDim: 2, generator: [{ units: 8 }], discriminator: [{ units: 8 }], outputActivation: 'linear', seed: 1 });
  const g = gan.fit(seeded(60, 1), { epochs: 3, batchSize: 6 });
  gan.dispose();
  const mlp = new Mlp({ input: 4, layers: [{ units: 8, activation: 'relu' }, { units: 1 }], seed: 2 });
  const m = mlp.train(seeded(400, 3), seeded(100, 4), { epochs: 3, batchSize: 10, loss: 'mse' });
  mlp.dispose();
  assert.equal(await Promise.all([rejection(g), rejection(m)]), ['ERR_RECKIT_DISPOSED', 'ERR_RECKIT_DISPOSED']);
});

test('Mlp: dispose from onEpoch stops train at the next mini-batch', async () => {
  const mlp = new Mlp({ input: 4, layers: [{ units: 8, activation: 'relu' }, { units: 1 }], seed: 2 });
  let epochs = 0;
  const got = await rejection(mlp.train(seeded(400, 3), seeded(100, 4), { epochs: LONG, batchSize: 10, loss: 'mse', onEpoch: () => (++epochs === 2 ? mlp.dispose() : undefined) }));
  assert.is(got, 'ERR_RECKIT_DISPOSED');
  assert.ok(epochs < LONG, `stopped after ${epochs} epochs`);
  assert.is(codeOf(() => mlp.predict(seeded(4, 5))), 'ERR_RECKIT_DISPOSED');
});

for (const [name, make] of [
  ['CFGAN', () => new CFGAN({ epochs: LONG, batchSize: 4, generator: [{ units: 8 }], discriminator: [{ units: 4 }] })],
  ['Bpr', () => new Bpr({ factors: 4, epochs: LONG })],
] as const) {
  test(`${name}: dispose during fit stops it; the fit rejects with ERR_RECKIT_DISPOSED and the model stays disposed`, async () => {
    const model = make();
    const x = log(7);
    let epochs = 0;
    const got = await rejection(model.fit(x, { onProgress: () => (++epochs === 2 ? model.dispose() : undefined) }));
    assert.is(got, 'ERR_RECKIT_DISPOSED');
    assert.ok(epochs < LONG, `stopped after ${epochs} epochs`);
    assert.not.ok(model.fitted);
    assert.is(codeOf(() => model.recommend('u1', { k: 3 })), 'ERR_RECKIT_DISPOSED');
    assert.is(await rejection(model.fit(x)), 'ERR_RECKIT_DISPOSED');
    // Disposed before its fit even reached the native work (Bpr builds its tables first).
    const early = make();
    const p = early.fit(x);
    early.dispose();
    assert.is(await rejection(p), 'ERR_RECKIT_DISPOSED');
  });
}

test('TabularSynthesizer: dispose during fit rejects it with ERR_RECKIT_DISPOSED; then every call says disposed', async () => {
  const rows = Array.from({ length: 40 }, (_, i) => ({ size: i % 5, colour: ['red', 'blue'][i % 2], price: 10 + i * 0.5 }));
  const s = new TabularSynthesizer({ epochs: LONG, batchSize: 8, pac: 1, generator: [8], discriminator: [8] });
  let epochs = 0;
  const got = await rejection(s.fit(rows, { seed: 1, onProgress: () => (++epochs === 2 ? s.dispose() : undefined) }));
  assert.is(got, 'ERR_RECKIT_DISPOSED');
  assert.ok(epochs < LONG, `stopped after ${epochs} epochs`);
  assert.is(s.fitted, false);
  assert.is(await rejection(s.sample(3)), 'ERR_RECKIT_DISPOSED');
  assert.is(codeOf(() => s.toBuffer()), 'ERR_RECKIT_DISPOSED');
  assert.is(await rejection(s.fit(rows)), 'ERR_RECKIT_DISPOSED');
  // A fitted synthesizer, disposed: "disposed", not "not fitted".
  const fitted = new TabularSynthesizer({ epochs: 1, batchSize: 8, pac: 1, generator: [8], discriminator: [8] });
  await fitted.fit(rows, { seed: 1 });
  fitted.dispose();
  assert.is(await rejection(fitted.sample(3)), 'ERR_RECKIT_DISPOSED');
  assert.is(codeOf(() => fitted.describe()), 'ERR_RECKIT_DISPOSED');
});

test.run();
