// Mlp: forward against a float64 JS reference, every activation's and loss's gradient against central
// finite differences in float64, Adam/SGD against a reference update, training, persistence, bad input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Mlp, computeLoss, type LayerSpec } from '../lib/index';
import { info } from '../lib/index';
import { runNode } from './helpers';
import { adamReference, backward, forward, lcg, meanLoss, parameterCount, worst, type RefLayer } from './helpers/mlp-reference';

const ACTS = ['relu', 'leaky_relu', 'tanh', 'sigmoid', 'linear'] as const;

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

async function expectReject(p: Promise<unknown>, code: string): Promise<void> {
  try {
    await p;
  } catch (error) {
    assert.is((error as { code?: string }).code, code);
    return;
  }
  assert.unreachable(`expected a rejection with code ${code}`);
}

function layersFor(activation: (typeof ACTS)[number]): LayerSpec[] {
  return [
    { units: 7, activation, alpha: 0.2 },
    { units: 5, activation: activation === 'relu' ? 'tanh' : activation, alpha: 0.2 },
    { units: 3, activation: 'linear' },
  ];
}

test('forward matches a float64 reference for every activation on odd shapes', () => {
  for (const a of ACTS) {
    const layers = layersFor(a);
    const mlp = new Mlp({ input: 11, layers, seed: 7 });
    assert.is(mlp.parameterCount, parameterCount(11, layers as RefLayer[]));
    const rows = 13;
    const x = lcg(rows * 11, 3, -2, 2);
    const got = mlp.forward(x);
    const want = forward(mlp.parameters(), 11, layers as RefLayer[], x, rows);
    const w = worst(got, want, 1e-5, 1e-4);
    assert.ok(w.ratio <= 1, `${a}: output ${w.index} got ${got[w.index]} want ${want[w.index]}`);
    assert.equal(mlp.predict(x), got, 'predict equals forward');
  }
});

test('initialization is uniform in ±1/sqrt(fan_in) and reproducible from the seed', () => {
  const a = new Mlp({ input: 64, layers: [{ units: 32, activation: 'relu' }], seed: 42 });
  const b = new Mlp({ input: 64, layers: [{ units: 32, activation: 'relu' }], seed: 42 });
  const c = new Mlp({ input: 64, layers: [{ units: 32, activation: 'relu' }], seed: 43 });
  const p = a.parameters();
  assert.equal(p, b.parameters());
  assert.not.equal(p, c.parameters());
  const bound = 1 / 8;
  let maxAbs = 0, mean = 0;
  for (const v of p) { maxAbs = Math.max(maxAbs, Math.abs(v)); mean += v / p.length; }
  assert.ok(maxAbs <= bound && maxAbs > 0.95 * bound, `max |w| ${maxAbs}`);
  assert.ok(Math.abs(mean) < 0.01, `mean ${mean}`);
});

test('backward matches central finite differences in float64 for every activation', () => {
  for (const a of ACTS) {
    const layers = layersFor(a) as RefLayer[];
    const mlp = new Mlp({ input: 6, layers: layers as LayerSpec[], seed: 11 });
    const rows = 5;
    const x = lcg(rows * 6, 17, -1.5, 1.5);
    const gOut = lcg(rows * 3, 19);
    mlp.forward(x);
    const { inputGrad, parameterGrads } = mlp.backward(gOut);
    const p = Float64Array.from(mlp.parameters());
    const L = (pp: ArrayLike<number>, xx: ArrayLike<number>): number => {
      const y = forward(pp, 6, layers, xx, rows);
      let s = 0;
      for (let i = 0; i < y.length; i++) s += y[i] * gOut[i];
      return s;
    };
    const h = 1e-6;
    const fdP = new Float64Array(p.length);
    for (let i = 0; i < p.length; i++) {
      const save = p[i];
      p[i] = save + h; const up = L(p, x);
      p[i] = save - h; const down = L(p, x);
      p[i] = save;
      fdP[i] = (up - down) / (2 * h);
    }
    const xd = Float64Array.from(x);
    const fdX = new Float64Array(xd.length);
    for (let i = 0; i < xd.length; i++) {
      const save = xd[i];
      xd[i] = save + h; const up = L(p, xd);
      xd[i] = save - h; const down = L(p, xd);
      xd[i] = save;
      fdX[i] = (up - down) / (2 * h);
    }
    const wp = worst(parameterGrads, fdP, 2e-5, 1e-3);
    assert.ok(wp.ratio <= 1, `${a}: dθ[${wp.index}] got ${parameterGrads[wp.index]} fd ${fdP[wp.index]}`);
    const wx = worst(inputGrad, fdX, 2e-5, 1e-3);
    assert.ok(wx.ratio <= 1, `${a}: dx[${wx.index}] got ${inputGrad[wx.index]} fd ${fdX[wx.index]}`);
    // The float64 reference backward agrees with the same finite differences (it is used by the Gan tests).
    const ref = backward(p, 6, layers, x, rows, gOut);
    assert.ok(worst(ref.params, fdP, 1e-7, 1e-6).ratio <= 1, `${a}: reference backward`);
    assert.equal(mlp.gradients(), parameterGrads, 'gradients() returns the last backward');
  }
});

test('losses and their gradients match float64 references and finite differences', () => {
  const z = new Float32Array([-120, -7.5, -1, -0.25, 0, 0.3, 2, 9, 150]);
  const y = new Float32Array([0, 1, 0.5, 1, 0, 0.9, 1, 0, 1]);
  for (const kind of ['bce_with_logits', 'mse'] as const) {
    const { loss, grad } = computeLoss(kind, z, y);
    const want = meanLoss(kind, z, y);
    assert.ok(Number.isFinite(loss));
    assert.ok(Math.abs(loss - want) <= 1e-5 * Math.max(1, Math.abs(want)), `${kind}: ${loss} vs ${want}`);
    const zd = Float64Array.from(z);
    for (let i = 0; i < z.length; i++) {
      const h = 1e-5, save = zd[i];
      zd[i] = save + h; const up = meanLoss(kind, zd, y);
      zd[i] = save - h; const down = meanLoss(kind, zd, y);
      zd[i] = save;
      const fd = (up - down) / (2 * h);
      assert.ok(Math.abs(grad[i] - fd) <= 1e-6 + 1e-4 * Math.abs(fd), `${kind} grad[${i}] ${grad[i]} vs ${fd}`);
    }
  }
});

test('Adam steps match a float64 reference of the same update (with weight decay)', () => {
  const mlp = new Mlp({ input: 4, layers: [{ units: 3, activation: 'tanh' }, { units: 2 }], seed: 5 });
  const p = Float64Array.from(mlp.parameters());
  const m = new Float64Array(p.length), v = new Float64Array(p.length);
  const o = { lr: 0.01, b1: 0.8, b2: 0.99, eps: 1e-6, wd: 0.05 };
  for (let t = 1; t <= 4; t++) {
    const g = lcg(p.length, 100 + t, -2, 2);
    mlp.step({ type: 'adam', lr: o.lr, betas: [o.b1, o.b2], eps: o.eps, weightDecay: o.wd }, g);
    adamReference(p, g, m, v, t, o);
  }
  const w = worst(mlp.parameters(), p, 1e-6, 1e-5);
  assert.ok(w.ratio <= 1, `param ${w.index}: ${mlp.parameters()[w.index]} vs ${p[w.index]}`);
});

test('SGD with momentum and weight decay matches the reference update', () => {
  const mlp = new Mlp({ input: 3, layers: [{ units: 2 }], seed: 9 });
  const p = Float64Array.from(mlp.parameters());
  const buf = new Float64Array(p.length);
  for (let t = 0; t < 3; t++) {
    const g = lcg(p.length, 200 + t);
    mlp.step({ type: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 0.01 }, g);
    for (let i = 0; i < p.length; i++) {
      buf[i] = 0.9 * buf[i] + g[i] + 0.01 * p[i];
      p[i] -= 0.1 * buf[i];
    }
  }
  const w = worst(mlp.parameters(), p, 1e-6, 1e-5);
  assert.ok(w.ratio <= 1, `param ${w.index}`);
});

test('step() applies the gradients of the last backward()', () => {
  const mlp = new Mlp({ input: 3, layers: [{ units: 4, activation: 'relu' }, { units: 1 }], seed: 2 });
  const before = mlp.parameters();
  mlp.forward(lcg(6, 1));
  const { parameterGrads } = mlp.backward(new Float32Array([1, -1]));
  mlp.step({ type: 'sgd', lr: 0.5 });
  const after = mlp.parameters();
  for (let i = 0; i < before.length; i++) {
    assert.ok(Math.abs(after[i] - (before[i] - 0.5 * parameterGrads[i])) < 1e-6, `param ${i}`);
  }
});

function regressionData(rows: number): { x: Float32Array; y: Float32Array } {
  const x = lcg(rows * 4, 31);
  const y = new Float32Array(rows * 2);
  for (let r = 0; r < rows; r++) {
    const [a, b, c, d] = x.subarray(r * 4, r * 4 + 4);
    y[r * 2] = 0.5 * a - b + 0.25 * c * d;
    y[r * 2 + 1] = Math.tanh(a + c) - 0.3 * d;
  }
  return { x, y };
}

test('train fits a small regression with a batch size that does not divide the rows', async () => {
  const { x, y } = regressionData(203);
  const mlp = new Mlp({ input: 4, layers: [{ units: 32, activation: 'tanh' }, { units: 2 }], seed: 1 });
  const seen: number[] = [];
  const { losses } = await mlp.train(x, y, {
    epochs: 60, batchSize: 16, loss: 'mse', optimizer: { type: 'adam', lr: 0.01 }, seed: 4,
    onEpoch: (epoch, loss) => seen.push(epoch, loss),
  });
  assert.is(losses.length, 60);
  assert.is(seen.length, 120);
  assert.is(seen[118], 59);
  const initial = meanLoss('mse', new Mlp({ input: 4, layers: [{ units: 32, activation: 'tanh' }, { units: 2 }], seed: 1 }).predict(x), y);
  const final = meanLoss('mse', mlp.predict(x), y);
  assert.ok(final < 0.05 * initial && final < 0.01, `mse ${initial} -> ${final}`);
  assert.ok(Math.abs(losses[59] - final) < 0.01);
});

test('training is deterministic; trainSync and train agree bit for bit', async () => {
  const { x, y } = regressionData(100);
  const opts = { epochs: 3, batchSize: 7, loss: 'mse' as const, optimizer: { type: 'sgd' as const, lr: 0.05, momentum: 0.5 }, seed: 8 };
  const a = new Mlp({ input: 4, layers: [{ units: 9, activation: 'sigmoid' }, { units: 2 }], seed: 3 });
  const b = new Mlp({ input: 4, layers: [{ units: 9, activation: 'sigmoid' }, { units: 2 }], seed: 3 });
  const la = a.trainSync(x, y, opts);
  const lb = (await b.train(x, y, opts)).losses;
  assert.equal(la, lb);
  assert.equal(a.parameters(), b.parameters());
});

test('train with BCE-with-logits separates two classes', async () => {
  const rows = 300;
  const x = lcg(rows * 2, 77);
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) y[r] = x[2 * r] * x[2 * r] + x[2 * r + 1] * x[2 * r + 1] < 0.4 ? 1 : 0;
  const mlp = new Mlp({ input: 2, layers: [{ units: 16, activation: 'relu' }, { units: 16, activation: 'leaky_relu', alpha: 0.1 }, { units: 1 }], seed: 6 });
  await mlp.train(x, y, { epochs: 150, batchSize: 32, loss: 'bce_with_logits', optimizer: { type: 'adam', lr: 0.01 } });
  const logits = mlp.predict(x);
  let correct = 0;
  for (let r = 0; r < rows; r++) if ((logits[r] > 0 ? 1 : 0) === y[r]) correct++;
  assert.ok(correct / rows > 0.93, `accuracy ${correct / rows}`);
});

test('an aborted train rejects with AbortError and keeps the model usable', async () => {
  const { x, y } = regressionData(2000);
  const mlp = new Mlp({ input: 4, layers: [{ units: 64, activation: 'relu' }, { units: 2 }], seed: 1 });
  const controller = new AbortController();
  const before = mlp.parameters();
  const p = mlp.train(x, y, { epochs: 100000, batchSize: 8, loss: 'mse', signal: controller.signal, onEpoch: () => controller.abort() });
  try {
    await p;
    assert.unreachable('should abort');
  } catch (error) {
    assert.is((error as Error).name, 'AbortError');
    assert.is((error as { code?: string }).code, 'ABORT_ERR');
  }
  assert.not.equal(mlp.parameters(), before, 'the first epoch was applied');
  assert.is(mlp.predict(x.subarray(0, 4)).length, 2);
  const aborted = new AbortController();
  aborted.abort();
  const untouched = mlp.parameters();
  await mlp.train(x, y, { epochs: 1, batchSize: 8, loss: 'mse', signal: aborted.signal }).then(
    () => assert.unreachable('pre-aborted signal'),
    (e) => {
      assert.is(e.name, 'AbortError');
      assert.is(e.code, 'ABORT_ERR');
    },
  );
  assert.equal(mlp.parameters(), untouched);
});

test('forwardAsync/predictAsync match their sync forms', async () => {
  const mlp = new Mlp({ input: 5, layers: [{ units: 8, activation: 'tanh' }, { units: 2 }], seed: 4 });
  const x = lcg(35, 9);
  assert.equal(await mlp.predictAsync(x), mlp.predict(x));
  const out = await mlp.forwardAsync(x);
  assert.equal(out, mlp.predict(x));
  assert.is(mlp.backward(new Float32Array(14).fill(1)).inputGrad.length, 35);
});

test('subarray inputs are read at their byteOffset', () => {
  const mlp = new Mlp({ input: 3, layers: [{ units: 2 }], seed: 4 });
  const big = lcg(30, 5);
  assert.equal(mlp.predict(big.subarray(6, 12)), mlp.predict(Float32Array.from(big.subarray(6, 12))));
});

test('save/load and toBuffer/fromBuffer keep parameters and optimizer state, so training resumes exactly', async () => {
  const { x, y } = regressionData(64);
  const opts = { epochs: 2, batchSize: 10, loss: 'mse' as const, optimizer: { type: 'adam' as const, lr: 0.01 }, seed: 2 };
  const a = new Mlp({ input: 4, layers: [{ units: 6, activation: 'leaky_relu', alpha: 0.2 }, { units: 2 }], seed: 12 });
  a.trainSync(x, y, opts);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reckit-mlp-'));
  const file = path.join(dir, 'm.safetensors');
  a.save(file);
  const b = Mlp.load(file);
  const c = Mlp.fromBuffer(a.toBuffer());
  assert.equal(b.parameters(), a.parameters());
  assert.equal(b.layers, a.layers);
  assert.is(b.layers[0].alpha, 0.2);
  for (const m of [a, b, c]) m.trainSync(x, y, opts);
  assert.equal(b.parameters(), a.parameters());
  assert.equal(c.parameters(), a.parameters());
  fs.rmSync(dir, { recursive: true });
});

test('corrupt, truncated or foreign model files are ERR_RECKIT_CORRUPT_FILE', () => {
  const a = new Mlp({ input: 4, layers: [{ units: 3 }], seed: 1 });
  const buf = a.toBuffer();
  expectCode(() => Mlp.fromBuffer(buf.subarray(0, buf.length - 5)), 'ERR_RECKIT_CORRUPT_FILE');
  const flipped = Buffer.from(buf);
  flipped[flipped.length - 3] ^= 0x40;
  expectCode(() => Mlp.fromBuffer(flipped), 'ERR_RECKIT_CORRUPT_FILE');
  expectCode(() => Mlp.fromBuffer(new Uint8Array(3)), 'ERR_RECKIT_CORRUPT_FILE');
  expectCode(() => Mlp.load('/nonexistent/reckit/model.safetensors'), 'ERR_RECKIT_IO');
});

test('bad input is a coded error and leaves the model unchanged', () => {
  const mlp = new Mlp({ input: 3, layers: [{ units: 2, activation: 'relu' }], seed: 1 });
  const before = mlp.parameters();
  expectCode(() => mlp.forward([1, 2, 3] as unknown as Float32Array), 'ERR_RECKIT_INVALID_ARG');
  expectCode(() => mlp.forward(new Float32Array(4)), 'ERR_RECKIT_DIM_MISMATCH');
  expectCode(() => mlp.forward(new Float32Array(0)), 'ERR_RECKIT_DIM_MISMATCH');
  expectCode(() => mlp.predict(new Float32Array([1, 2, 3, 4, NaN, 6])), 'ERR_RECKIT_OUT_OF_RANGE', /row 1/);
  expectCode(() => mlp.predict(new Float32Array([Infinity, 2, 3])), 'ERR_RECKIT_OUT_OF_RANGE', /row 0/);
  expectCode(() => mlp.backward(new Float32Array(2)), 'ERR_RECKIT_INVALID_ARG', /forward/);
  mlp.forward(new Float32Array(6));
  expectCode(() => mlp.backward(new Float32Array(3)), 'ERR_RECKIT_DIM_MISMATCH');
  expectCode(() => mlp.step({ type: 'adam', lr: 0 }), 'ERR_RECKIT_OUT_OF_RANGE');
  expectCode(() => mlp.step({ type: 'adam', lr: -1 }), 'ERR_RECKIT_OUT_OF_RANGE');
  expectCode(() => mlp.step({ type: 'rmsprop' } as never), 'ERR_RECKIT_INVALID_ARG');
  expectCode(() => mlp.step({ type: 'adam' }, new Float32Array(3)), 'ERR_RECKIT_DIM_MISMATCH');
  expectCode(() => mlp.setParameters(new Float32Array(5)), 'ERR_RECKIT_DIM_MISMATCH');
  expectCode(() => mlp.setParameters(new Float32Array(8).fill(NaN)), 'ERR_RECKIT_OUT_OF_RANGE');
  expectCode(() => mlp.trainSync(new Float32Array(6), new Float32Array(4), { epochs: 1, batchSize: 0, loss: 'mse' }), 'ERR_RECKIT_OUT_OF_RANGE');
  expectCode(() => mlp.trainSync(new Float32Array(6), new Float32Array(4), { epochs: 1, batchSize: 3, loss: 'mse' }), 'ERR_RECKIT_OUT_OF_RANGE');
  expectCode(() => mlp.trainSync(new Float32Array(6), new Float32Array(6), { epochs: 1, batchSize: 1, loss: 'mse' }), 'ERR_RECKIT_DIM_MISMATCH');
  expectCode(() => mlp.trainSync(new Float32Array(6), new Float32Array(4), { epochs: 1, batchSize: 1, loss: 'hinge' as never }), 'ERR_RECKIT_INVALID_ARG');
  expectCode(() => mlp.trainSync(new Float32Array([0, 0, 0, 1, 1, NaN]), new Float32Array(4), { epochs: 1, batchSize: 1, loss: 'mse' }), 'ERR_RECKIT_OUT_OF_RANGE', /row 1/);
  assert.equal(mlp.parameters(), before);
  expectCode(() => new Mlp({ input: 0, layers: [{ units: 1 }] }), 'ERR_RECKIT_OUT_OF_RANGE');
  expectCode(() => new Mlp({ input: 2, layers: [] }), 'ERR_RECKIT_INVALID_ARG');
  expectCode(() => new Mlp({ input: 2, layers: [{ units: 0 }] }), 'ERR_RECKIT_OUT_OF_RANGE');
  expectCode(() => new Mlp({ input: 2, layers: [{ units: 2.5 }] }), 'ERR_RECKIT_OUT_OF_RANGE');
  expectCode(() => new Mlp({ input: 2, layers: [{ units: 2, activation: 'gelu' as never }] }), 'ERR_RECKIT_INVALID_ARG');
  expectCode(() => new Mlp({ input: 2, layers: [{ units: 2, activation: 'leaky_relu', alpha: -0.1 }] }), 'ERR_RECKIT_OUT_OF_RANGE');
  expectCode(() => new (Mlp as never as new (o: unknown) => Mlp)(undefined), 'ERR_RECKIT_INVALID_ARG');
  expectCode(() => computeLoss('mse', new Float32Array(2), new Float32Array(3)), 'ERR_RECKIT_DIM_MISMATCH');
  expectCode(() => computeLoss('mse', new Float32Array([NaN]), new Float32Array(1)), 'ERR_RECKIT_OUT_OF_RANGE');
});

test('bad async input rejects with its code', async () => {
  const mlp = new Mlp({ input: 3, layers: [{ units: 2 }], seed: 1 });
  await expectReject(mlp.predictAsync(new Float32Array(4)), 'ERR_RECKIT_DIM_MISMATCH');
  await expectReject(mlp.train(new Float32Array(6), new Float32Array(4), { epochs: 0, batchSize: 1, loss: 'mse' }), 'ERR_RECKIT_OUT_OF_RANGE');
});

test('use after dispose is ERR_RECKIT_DISPOSED', async () => {
  const mlp = new Mlp({ input: 3, layers: [{ units: 2 }], seed: 1 });
  mlp.dispose();
  expectCode(() => mlp.predict(new Float32Array(3)), 'ERR_RECKIT_DISPOSED');
  expectCode(() => mlp.parameters(), 'ERR_RECKIT_DISPOSED');
  await expectReject(mlp.predictAsync(new Float32Array(3)), 'ERR_RECKIT_DISPOSED');
  mlp.dispose();
});

test('Adam updates are bit-identical on every ISA path', () => {
  // The same steps in child processes forced onto each supported ISA (RECKIT_ISA picks the table at load).
  const code = `
    const { Mlp } = require('./dist/lib/index.js');
    const mlp = new Mlp({ input: 37, layers: [{ units: 29, activation: 'tanh' }, { units: 3 }], seed: 5 });
    const n = mlp.parameterCount;
    for (let t = 0; t < 3; t++) {
      const g = new Float32Array(n).map((_, i) => Math.sin(i * 0.37 + t) * (i % 7 === 0 ? 1e-9 : 1));
      mlp.step({ type: 'adam', lr: 0.003, betas: [0.85, 0.995], weightDecay: 0.01 }, g);
    }
    process.stdout.write(Buffer.from(mlp.parameters().buffer).toString('base64'));`;
  const results = info().supportedIsas.map((isa) => runNode(code, { RECKIT_ISA: isa }));
  for (const r of results) assert.is(r, results[0]);
  assert.ok(results[0].length > 1000);
});

test.run();
