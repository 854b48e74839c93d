// Mlp's `device` option through the public API. Without a CUDA library (plain `npm test`): the default `auto` is
// the CPU and every loader takes the option. With one (`npm run test:emulated`): `auto` puts the model on the device,
// the loaders and setDevice move it with its state, bad input gives the CPU path's errors, and async calls running
// side by side agree with the CPU. Call-by-call comparisons: test/conformance/mlp-resident.conformance.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Mlp, info } from '../lib/index';
import { codeOf, seededFloats } from './helpers';

const cuda = info().cuda;
const LAYERS = [{ units: 8, activation: 'relu' as const }, { units: 2, activation: 'linear' as const }];

function close(a: Float32Array, b: Float32Array, what: string, tol = 1e-5): void {
  assert.is(a.length, b.length, `${what}: length`);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-6 + tol * Math.abs(b[i]), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

test('Mlp device: a bad value is ERR_RECKIT_INVALID_ARG', () => {
  for (const device of ['gpu', 1, null]) {
    assert.is(codeOf(() => new Mlp({ input: 3, layers: LAYERS, device: device as never })), 'ERR_RECKIT_INVALID_ARG');
  }
  const mlp = new Mlp({ input: 3, layers: LAYERS, device: 'cpu' });
  assert.is(codeOf(() => mlp.setDevice('gpu' as never)), 'ERR_RECKIT_INVALID_ARG');
  assert.is(codeOf(() => Mlp.fromBuffer(mlp.toBuffer(), { device: 'gpu' as never })), 'ERR_RECKIT_INVALID_ARG');
  assert.is(mlp.device, 'cpu');
  mlp.dispose();
});

if (!cuda.available) {
  test('Mlp device without CUDA: auto (the default) is the CPU, for every way to make one', async () => {
    const mlp = new Mlp({ input: 3, layers: LAYERS });
    assert.is(mlp.device, 'cpu');
    assert.is(Mlp.fromBuffer(mlp.toBuffer()).device, 'cpu');
    assert.is(Mlp.fromBuffer(mlp.toBuffer(), { device: 'auto' }).device, 'cpu');
    mlp.setDevice('auto');
    assert.is(mlp.device, 'cpu');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reckit-mlp-device-'));
    try {
      const file = path.join(dir, 'm.safetensors');
      mlp.save(file);
      assert.is(Mlp.load(file, { device: 'auto' }).device, 'cpu');
      assert.is((await Mlp.loadAsync(file)).device, 'cpu');
      assert.is(codeOf(() => Mlp.load(file, { device: 'cuda' })), 'ERR_RECKIT_NO_DEVICE');
      try {
        await Mlp.loadAsync(file, { device: 'cuda' });
        assert.unreachable('should reject');
      } catch (e) {
        assert.is((e as { code?: string }).code, 'ERR_RECKIT_NO_DEVICE');
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
} else {
  test('Mlp device with CUDA: auto puts the model on the device; loaders and setDevice move it with its state', async () => {
    const mlp = new Mlp({ input: 3, layers: LAYERS, seed: 4 });
    assert.is(mlp.device, 'cuda');
    const x = seededFloats(30, 1), y = seededFloats(20, 2);
    await mlp.train(x, y, { epochs: 2, batchSize: 4, loss: 'mse', optimizer: { type: 'adam', lr: 0.01 } });
    const trained = mlp.parameters();
    assert.is(Mlp.fromBuffer(mlp.toBuffer()).device, 'cuda');
    const onCpu = Mlp.fromBuffer(mlp.toBuffer(), { device: 'cpu' });
    assert.is(onCpu.device, 'cpu');
    assert.equal(onCpu.parameters(), trained);
    mlp.setDevice('cpu');  // the device's state comes back
    assert.is(mlp.device, 'cpu');
    assert.equal(mlp.parameters(), trained);
    assert.equal(mlp.toBuffer(), onCpu.toBuffer(), 'the Adam state came back too');
    mlp.setDevice('cuda');
    close(mlp.predict(x), onCpu.predict(x), 'predict after moving back');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reckit-mlp-device-'));
    try {
      const file = path.join(dir, 'm.safetensors');
      await mlp.saveAsync(file);
      const back = await Mlp.loadAsync(file, { device: 'cuda' });
      assert.is(back.device, 'cuda');
      assert.equal(back.parameters(), trained);
      assert.is(Mlp.load(file, { device: 'cpu' }).device, 'cpu');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('Mlp device with CUDA: bad input gives the CPU path\'s errors and leaves the model as it was', () => {
    const cpu = new Mlp({ input: 3, layers: LAYERS, seed: 2, device: 'cpu' });
    const gpu = new Mlp({ input: 3, layers: LAYERS, seed: 2, device: 'cuda' });
    const before = gpu.parameters();
    const calls: ((m: Mlp) => unknown)[] = [
      (m) => m.forward(new Float32Array(4)),
      (m) => m.predict(Float32Array.of(1, NaN, 0)),
      (m) => m.backward(new Float32Array(2)),  // no forward yet
      (m) => (m.forward(new Float32Array(6)), m.backward(new Float32Array(2))),  // 2 rows need 4 values
      (m) => m.step({ type: 'sgd', lr: 0.1 }, new Float32Array(3)),
      (m) => m.setParameters(new Float32Array(3)),
      (m) => m.trainSync(new Float32Array(6), new Float32Array(2), { epochs: 1, batchSize: 1, loss: 'mse' }),
    ];
    for (const call of calls) {
      const want = codeOf(() => call(cpu));
      assert.ok(want.startsWith('ERR_RECKIT_'), want);
      assert.is(codeOf(() => call(gpu)), want);
    }
    assert.equal(gpu.parameters(), before);
    cpu.dispose();
    gpu.dispose();
  });

  test('Mlp device with CUDA: async calls side by side agree with the CPU', async () => {
    const cpu = new Mlp({ input: 3, layers: LAYERS, seed: 6, device: 'cpu' });
    const gpu = new Mlp({ input: 3, layers: LAYERS, seed: 6 });
    const xs = [1, 2, 3, 4].map((s) => seededFloats(3 * (5 + s), s));
    const got = await Promise.all(xs.map((x, i) => (i % 2 ? gpu.predictAsync(x) : gpu.forwardAsync(x))));
    got.forEach((g, i) => close(g, cpu.predict(xs[i]), `call ${i}`));
    const y = seededFloats(2 * 9, 9);
    const opts = { epochs: 3, batchSize: 4, loss: 'mse' as const, seed: 1 };
    const [trained] = await Promise.all([gpu.train(xs[3], y, opts), gpu.predictAsync(xs[0])]);
    const want = cpu.trainSync(xs[3], y, opts);
    trained.losses.forEach((l, i) => assert.ok(Math.abs(l - want[i]) <= 1e-6 * Math.abs(want[i]), `loss ${i}`));
    close(gpu.parameters(), cpu.parameters(), 'parameters after training', 1e-4);
    cpu.dispose();
    gpu.dispose();
  });

  test('Mlp device with CUDA: setDevice(\'cpu\') during a device train: the run finishes and its result lands on the host', async () => {
    const cpu = new Mlp({ input: 3, layers: LAYERS, seed: 3, device: 'cpu' });
    const gpu = new Mlp({ input: 3, layers: LAYERS, seed: 3, device: 'cuda' });
    const x = seededFloats(3 * 24, 1), y = seededFloats(2 * 24, 2);
    const opts = { epochs: 4, batchSize: 5, loss: 'mse' as const, seed: 2 };
    const got = await gpu.train(x, y, { ...opts, onEpoch: (e) => (e === 0 ? gpu.setDevice('cpu') : undefined) });
    assert.is(gpu.device, 'cpu');
    const want = cpu.trainSync(x, y, opts);
    got.losses.forEach((l, i) => assert.ok(Math.abs(l - want[i]) <= 1e-6 * Math.abs(want[i]), `loss ${i}`));
    close(gpu.parameters(), cpu.parameters(), 'parameters', 1e-4);
    cpu.dispose();
    gpu.dispose();
  });
}

test.run();
