// Gan: whole training steps against a float64 JS reference (noise and shuffling reproduced from the
// documented Philox streams), determinism, resumable persistence, sampling, abort, and bad input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Gan, getThreads, Mlp, random, setThreads, type GanOptions } from '../lib/index';
import { adamReference, backward, bceWithLogits, forward, lcg, worst, type RefLayer } from './helpers/mlp-reference';

const NOISE = 2n << 40n, SHUFFLE = 1n << 40n;

function expectCode(fn: () => unknown, code: string, pattern?: RegExp): void {
  try {
    fn();
  } catch (error) {
    const e = error as Error & { code?: string };
    assert.is(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
    if (pattern) assert.match(e.message, pattern);
    return;
  }
  assert.unreachable(`expected an error with code ${code}`);
}

async function expectReject(p: Promise<unknown>, code: string, pattern?: RegExp): Promise<void> {
  try {
    await p;
  } catch (error) {
    const e = error as Error & { code?: string };
    assert.is(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
    if (pattern) assert.match(e.message, pattern);
    return;
  }
  assert.unreachable(`expected a rejection with code ${code}`);
}

const small: GanOptions = {
  dataDim: 3, noiseDim: 4, conditionDim: 2,
  generator: [{ units: 8, activation: 'relu' }, { units: 6, activation: 'tanh' }],
  discriminator: [{ units: 7, activation: 'leaky_relu', alpha: 0.2 }],
  outputActivation: 'tanh', seed: 21,
};

/** The Fisher-Yates order the Gan uses: word s of Philox (seed, stream) picks the swap at step s. */
function permutation(n: number, seed: number, stream: bigint): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  const words = random.bits(Math.max(n - 1, 0), { seed, stream });
  for (let s = 0; s + 1 < n; s++) {
    const i = n - 1 - s;
    const j = Math.floor((words[s] * (i + 1)) / 2 ** 32);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

function concatRows(a: ArrayLike<number>, ca: number, b: ArrayLike<number>, cb: number, rows: number): Float64Array {
  const out = new Float64Array(rows * (ca + cb));
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < ca; i++) out[r * (ca + cb) + i] = a[r * ca + i];
    for (let i = 0; i < cb; i++) out[r * (ca + cb) + ca + i] = b[r * cb + i];
  }
  return out;
}

const sig = (z: number): number => 1 / (1 + Math.exp(-z));

test('two training steps match a float64 reference of the non-saturating conditional GAN update', async () => {
  const rows = 9, dd = 3, nd = 4, cd = 2, smoothing = 0.1, lr = 0.01, b1 = 0.5, b2 = 0.9;
  const data = lcg(rows * dd, 5, -0.8, 0.8);
  const conds = new Float32Array(rows * cd);
  for (let r = 0; r < rows; r++) conds[r * cd + (r % cd)] = 1;
  const gan = new Gan(small);
  const gLayers: RefLayer[] = [...(small.generator as RefLayer[]), { units: dd, activation: 'tanh' }];
  const dLayers: RefLayer[] = [...(small.discriminator as RefLayer[]), { units: 1, activation: 'linear' }];
  const start = gan.parameters();
  const pG = Float64Array.from(start.generator), pD = Float64Array.from(start.discriminator);
  const mG = new Float64Array(pG.length), vG = new Float64Array(pG.length);
  const mD = new Float64Array(pD.length), vD = new Float64Array(pD.length);
  const adam = { lr, b1, b2, eps: 1e-8, wd: 0 };
  const expected: { dLoss: number; gLoss: number; dReal: number; dFake: number }[] = [];
  for (let step = 0; step < 2; step++) {
    const order = permutation(rows, 21, SHUFFLE + BigInt(step));
    const real = new Float64Array(rows * dd), c = new Float64Array(rows * cd);
    order.forEach((src, r) => {
      for (let i = 0; i < dd; i++) real[r * dd + i] = data[src * dd + i];
      for (let i = 0; i < cd; i++) c[r * cd + i] = conds[src * cd + i];
    });
    // Discriminator update on real (target 1 - smoothing) and fake (target 0) rows.
    const zD = random.normal(rows * nd, { seed: 21, stream: NOISE + BigInt(step) });
    const fakeD = forward(pG, nd + cd, gLayers, concatRows(zD, nd, c, cd, rows), rows);
    const dIn = concatRows([...real, ...fakeD], dd, [...c, ...c], cd, 2 * rows);
    const logits = forward(pD, dd + cd, dLayers, dIn, 2 * rows);
    const gOut = new Float64Array(2 * rows);
    let dLoss = 0, dReal = 0, dFake = 0;
    for (let r = 0; r < 2 * rows; r++) {
      const target = r < rows ? 1 - smoothing : 0;
      gOut[r] = (sig(logits[r]) - target) / rows;
      dLoss += bceWithLogits(logits[r], target) / rows;
      if (r < rows) dReal += sig(logits[r]) / rows;
      else dFake += sig(logits[r]) / rows;
    }
    adamReference(pD, backward(pD, dd + cd, dLayers, dIn, 2 * rows, gOut).params, mD, vD, step + 1, adam);
    // Generator update on the same noise, through the updated discriminator: loss -log D(G(z)).
    const gIn = concatRows(zD, nd, c, cd, rows);
    const fakeG = forward(pG, nd + cd, gLayers, gIn, rows);
    const dInG = concatRows(fakeG, dd, c, cd, rows);
    const logitsG = forward(pD, dd + cd, dLayers, dInG, rows);
    const gOutG = new Float64Array(rows);
    let gLoss = 0;
    for (let r = 0; r < rows; r++) {
      gOutG[r] = (sig(logitsG[r]) - 1) / rows;
      gLoss += bceWithLogits(logitsG[r], 1) / rows;
    }
    const dInputGrad = backward(pD, dd + cd, dLayers, dInG, rows, gOutG).input;
    const dFakeGrad = new Float64Array(rows * dd);
    for (let r = 0; r < rows; r++) for (let i = 0; i < dd; i++) dFakeGrad[r * dd + i] = dInputGrad[r * (dd + cd) + i];
    adamReference(pG, backward(pG, nd + cd, gLayers, gIn, rows, dFakeGrad).params, mG, vG, step + 1, adam);
    expected.push({ dLoss, gLoss, dReal, dFake });
  }
  const progress: { dLoss: number; gLoss: number; dReal: number; dFake: number; epoch: number }[] = [];
  const result = await gan.fit(data, {
    epochs: 2, batchSize: rows, lr, betas: [b1, b2], labelSmoothing: smoothing, conditions: conds,
    onProgress: (p) => progress.push(p),
  });
  assert.is(result.epochs, 2);
  const got = gan.parameters();
  const wg = worst(got.generator, pG, 1e-5, 1e-4);
  assert.ok(wg.ratio <= 1, `generator[${wg.index}] ${got.generator[wg.index]} vs ${pG[wg.index]}`);
  const wd = worst(got.discriminator, pD, 1e-5, 1e-4);
  assert.ok(wd.ratio <= 1, `discriminator[${wd.index}] ${got.discriminator[wd.index]} vs ${pD[wd.index]}`);
  assert.is(progress.length, 2);
  progress.forEach((p, i) => {
    assert.is(p.epoch, i);
    for (const key of ['dLoss', 'gLoss', 'dReal', 'dFake'] as const) {
      assert.ok(Math.abs(p[key] - expected[i][key]) < 1e-5, `epoch ${i} ${key}: ${p[key]} vs ${expected[i][key]}`);
    }
  });
  const d = gan.describe();
  assert.is(d.epochs, 2);
  assert.is(d.generatorSteps, 2);
  assert.is(d.discriminatorSteps, 2);
});

const ringish = (rows: number, seed: number): Float32Array => lcg(rows * 3, seed, -1, 1);

test('the same seed gives the same weights bit for bit; another seed does not', async () => {
  const opts = { epochs: 3, batchSize: 10, dSteps: 2, labelSmoothing: 0.2 };
  const data = ringish(47, 3);
  const conds = lcg(47 * 2, 4, 0, 1);
  const a = new Gan(small), b = new Gan(small), c = new Gan({ ...small, seed: 22 });
  await a.fit(data, { ...opts, conditions: conds });
  await b.fit(data, { ...opts, conditions: conds });
  await c.fit(data, { ...opts, conditions: conds });
  assert.equal(a.parameters(), b.parameters());
  assert.not.equal(a.parameters().generator, c.parameters().generator);
  const d = a.describe();
  assert.is(d.discriminatorSteps, 3 * 5);
  assert.is(d.generatorSteps, 3 * 3, 'five batches per epoch in groups of two D steps');
});

test('save/load and toBuffer/fromBuffer resume training exactly (weights, Adam state, counters)', async () => {
  const data = ringish(40, 8), conds = lcg(80, 9, 0, 1);
  const opts = { epochs: 1, batchSize: 16, conditions: conds };
  const straight = new Gan(small);
  await straight.fit(data, { ...opts, epochs: 3 });
  const first = new Gan(small);
  await first.fit(data, opts);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reckit-gan-'));
  const file = path.join(dir, 'g.safetensors');
  first.save(file);
  const loaded = Gan.load(file);
  assert.equal(loaded.parameters(), first.parameters());
  assert.equal(loaded.describe(), first.describe());
  await loaded.fit(data, opts);
  const again = Gan.fromBuffer(loaded.toBuffer());
  await again.fit(data, opts);
  assert.equal(again.parameters(), straight.parameters());
  assert.is(again.epochs, 3);
  fs.rmSync(dir, { recursive: true });
});

test('saveAsync/loadAsync round-trip; loadAsync of a missing or foreign file rejects with its code', async () => {
  const gan = new Gan(small);
  await gan.fit(ringish(20, 4), { epochs: 2, batchSize: 8, conditions: lcg(40, 5, 0, 1) });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reckit-gan-'));
  const file = path.join(dir, 'a.safetensors');
  await gan.saveAsync(file);
  const back = await Gan.loadAsync(file);
  assert.equal(back.parameters(), gan.parameters());
  assert.is(back.epochs, 2);
  const mlpFile = path.join(dir, 'm.safetensors');
  await new Mlp({ input: 2, layers: [{ units: 1 }] }).saveAsync(mlpFile);
  await expectReject(Gan.loadAsync(mlpFile), 'ERR_RECKIT_CORRUPT_FILE');
  assert.is((await Mlp.loadAsync(mlpFile)).parameterCount, 3);
  await expectReject(Gan.loadAsync(path.join(dir, 'missing.safetensors')), 'ERR_RECKIT_IO');
  fs.rmSync(dir, { recursive: true });
});

test('sample with a seed is the generator on random.normal noise of that seed', () => {
  const gan = new Gan(small);
  const cond = new Float32Array([0, 1]);
  const s = gan.sample(6, { seed: 99, condition: cond });
  const noise = random.normal(6 * 4, { seed: 99 });
  const conds = new Float32Array(12);
  for (let r = 0; r < 6; r++) conds.set(cond, r * 2);
  assert.equal(s, gan.generate(noise, conds));
  assert.equal(gan.sample(6, { seed: 99, condition: conds }), s, 'per-row conditions');
  const g = forward(gan.parameters().generator, 6, [...(small.generator as RefLayer[]), { units: 3, activation: 'tanh' }],
    concatRows(noise, 4, conds, 2, 6), 6);
  assert.ok(worst(s, g, 1e-5, 1e-4).ratio <= 1, 'generator output vs float64 reference');
  const u1 = gan.sample(4, { condition: cond }), u2 = gan.sample(4, { condition: cond });
  assert.not.equal(u1, u2, 'unseeded samples draw fresh noise each call');
  const logits = gan.discriminate(s, conds);
  const want = forward(gan.parameters().discriminator, 5, [...(small.discriminator as RefLayer[]), { units: 1 }], concatRows(s, 3, conds, 2, 6), 6);
  assert.ok(worst(logits, want, 1e-5, 1e-4).ratio <= 1, 'discriminator logits');
});

test('sampleAsync equals sample for the same seed', async () => {
  const gan = new Gan({ ...small, conditionDim: 0 });
  assert.equal(await gan.sampleAsync(5, { seed: 3 }), gan.sample(5, { seed: 3 }));
});

test('an aborted fit rejects with AbortError and keeps the last whole step', async () => {
  const data = ringish(30, 12), conds = lcg(60, 13, 0, 1);
  const gan = new Gan(small);
  const controller = new AbortController();
  let reports = 0;
  const p = gan.fit(data, {
    epochs: 1_000_000, batchSize: 30, conditions: conds, signal: controller.signal,
    onProgress: () => { if (++reports === 2) controller.abort(); },
  });
  await p.then(() => assert.unreachable('should abort'), (e) => {
    assert.is(e.name, 'AbortError');
    assert.is(e.code, 'ABORT_ERR', 'the code Node gives its own AbortErrors');
  });
  const done = gan.epochs;
  assert.ok(done >= 2, `epochs ${done}`);
  const d = gan.describe();
  assert.is(d.generatorSteps, done, 'one batch per epoch: the counters agree with whole steps');
  // The same number of whole epochs from scratch reproduces the aborted model exactly.
  const replay = new Gan(small);
  await replay.fit(data, { epochs: done, batchSize: 30, conditions: conds });
  assert.equal(replay.parameters(), gan.parameters());
});

test('dispose during a fit stops it; later calls are ERR_RECKIT_DISPOSED', async () => {
  const gan = new Gan({ ...small, conditionDim: 0 });
  const p = gan.fit(ringish(64, 1), { epochs: 1_000_000, batchSize: 8, onProgress: () => gan.dispose() });
  await p.then(() => assert.unreachable('should stop'), (e) => assert.is(e.code, 'ERR_RECKIT_DISPOSED'));
  expectCode(() => gan.sample(2), 'ERR_RECKIT_DISPOSED');
  await expectReject(gan.fit(ringish(4, 1), { epochs: 1, batchSize: 2 }), 'ERR_RECKIT_DISPOSED');
});

test('bad input is a coded error and a failed fit leaves the model unchanged', async () => {
  const gan = new Gan(small);
  const before = gan.parameters();
  const data = ringish(10, 2), conds = lcg(20, 3, 0, 1);
  await expectReject(gan.fit(data.subarray(0, 29), { epochs: 1, batchSize: 2, conditions: conds }), 'ERR_RECKIT_DIM_MISMATCH');
  const bad = Float32Array.from(data);
  bad[3 * 7 + 1] = NaN;
  await expectReject(gan.fit(bad, { epochs: 1, batchSize: 2, conditions: conds }), 'ERR_RECKIT_OUT_OF_RANGE', /row 7/);
  bad[3 * 7 + 1] = -Infinity;
  await expectReject(gan.fit(bad, { epochs: 1, batchSize: 2, conditions: conds }), 'ERR_RECKIT_OUT_OF_RANGE', /row 7.*infinite/);
  await expectReject(gan.fit(data, { epochs: 1, batchSize: 0, conditions: conds }), 'ERR_RECKIT_OUT_OF_RANGE');
  await expectReject(gan.fit(data, { epochs: 1, batchSize: 11, conditions: conds }), 'ERR_RECKIT_OUT_OF_RANGE');
  await expectReject(gan.fit(data, { epochs: 1, batchSize: 2, lr: 0, conditions: conds }), 'ERR_RECKIT_OUT_OF_RANGE');
  await expectReject(gan.fit(data, { epochs: 1, batchSize: 2, lr: -1e-3, conditions: conds }), 'ERR_RECKIT_OUT_OF_RANGE');
  await expectReject(gan.fit(data, { epochs: 1, batchSize: 2, labelSmoothing: 1, conditions: conds }), 'ERR_RECKIT_OUT_OF_RANGE');
  await expectReject(gan.fit(data, { epochs: 1, batchSize: 2 }), 'ERR_RECKIT_INVALID_ARG');
  await expectReject(gan.fit(data, { epochs: 1, batchSize: 2, conditions: conds.subarray(0, 18) }), 'ERR_RECKIT_DIM_MISMATCH');
  await expectReject(gan.fit(data, { epochs: 1, batchSize: 2, dSteps: 0, conditions: conds }), 'ERR_RECKIT_OUT_OF_RANGE');
  await expectReject(gan.fit([1, 2, 3] as never, { epochs: 1, batchSize: 1 }), 'ERR_RECKIT_INVALID_ARG');
  assert.equal(gan.parameters(), before);
  assert.is(gan.epochs, 0);
  expectCode(() => gan.sample(0, { condition: conds.subarray(0, 2) }), 'ERR_RECKIT_OUT_OF_RANGE');
  expectCode(() => gan.sample(2), 'ERR_RECKIT_INVALID_ARG', /condition/);
  expectCode(() => gan.sample(2, { condition: new Float32Array(3) }), 'ERR_RECKIT_DIM_MISMATCH');
  expectCode(() => gan.generate(new Float32Array(5), new Float32Array(2)), 'ERR_RECKIT_DIM_MISMATCH');
  const base = { dataDim: 2, noiseDim: 2, generator: [{ units: 4 }], discriminator: [{ units: 4 }] };
  expectCode(() => new Gan({ ...base, dataDim: 0 }), 'ERR_RECKIT_OUT_OF_RANGE');
  expectCode(() => new Gan({ ...base, generator: [{ units: -1 }] }), 'ERR_RECKIT_OUT_OF_RANGE');
  expectCode(() => new Gan({ ...base, discriminator: [{ units: 3, activation: 'swish' as never }] }), 'ERR_RECKIT_INVALID_ARG');
  expectCode(() => new Gan({ ...base, generator: 'big' as never }), 'ERR_RECKIT_INVALID_ARG');
  expectCode(() => new Gan({ ...base, outputActivation: 'softmax' as never }), 'ERR_RECKIT_INVALID_ARG');
  expectCode(() => new Gan(undefined as never), 'ERR_RECKIT_INVALID_ARG');
});

test('model files of another kind, another shape or corrupt ones are ERR_RECKIT_CORRUPT_FILE', () => {
  const gan = new Gan(small);
  const buf = gan.toBuffer();
  expectCode(() => Gan.fromBuffer(new Mlp({ input: 2, layers: [{ units: 1 }] }).toBuffer()), 'ERR_RECKIT_CORRUPT_FILE', /Mlp/);
  expectCode(() => Mlp.fromBuffer(buf), 'ERR_RECKIT_CORRUPT_FILE', /Gan/);
  expectCode(() => Gan.fromBuffer(buf.subarray(0, buf.length >> 1)), 'ERR_RECKIT_CORRUPT_FILE');
  const flipped = Buffer.from(buf);
  flipped[flipped.length - 1] ^= 1;
  expectCode(() => Gan.fromBuffer(flipped), 'ERR_RECKIT_CORRUPT_FILE');
  // A header whose config claims other layer sizes than its tensors have (checksum recomputed by the writer).
  const header = buf.readUInt32LE(0);
  const json = buf.subarray(8, 8 + header).toString('utf8').replace('units\\":8', 'units\\":9');
  assert.not.equal(json, buf.subarray(8, 8 + header).toString('utf8'), 'the edit applied');
  const other = Buffer.concat([buf.subarray(0, 8), Buffer.from(json), buf.subarray(8 + header)]);
  expectCode(() => Gan.fromBuffer(other), 'ERR_RECKIT_CORRUPT_FILE');
  expectCode(() => Gan.load('/nonexistent/reckit/gan.safetensors'), 'ERR_RECKIT_IO');
});

test('training gives the same weights bit for bit on 1, 2 and 3 threads (GEMMs, gates, noise and Adam split)', async () => {
  // Layers wide enough that every GEMM, the noise fill and the element-wise passes really are split.
  const options: GanOptions = {
    dataDim: 40, noiseDim: 96, conditionDim: 3, seed: 9, outputActivation: 'tanh',
    generator: [{ units: 160, activation: 'relu' }, { units: 144, activation: 'sigmoid' }],
    discriminator: [{ units: 176, activation: 'leaky_relu', alpha: 0.2 }, { units: 150, activation: 'tanh' }],
  };
  const rows = 300;
  const data = lcg(rows * 40, 31, -1, 1), conds = lcg(rows * 3, 32, 0, 1);
  const before = getThreads();
  const results: { generator: Float32Array; discriminator: Float32Array }[] = [];
  try {
    for (const threads of [1, 2, 3]) {
      setThreads(threads);
      const gan = new Gan(options);
      await gan.fit(data, { epochs: 2, batchSize: 256, conditions: conds });
      results.push(gan.parameters());
      gan.dispose();
    }
  } finally {
    setThreads(before);
  }
  const untrained = new Gan(options).parameters();
  assert.not.equal(results[0].generator, untrained.generator, 'training changed the generator');
  for (const r of results.slice(1)) {
    assert.ok(Buffer.from(r.generator.buffer).equals(Buffer.from(results[0].generator.buffer)), 'generator bits differ across threads');
    assert.ok(Buffer.from(r.discriminator.buffer).equals(Buffer.from(results[0].discriminator.buffer)), 'discriminator bits differ');
  }
});

test.run();
