// EmbeddingTable's and Mlp's `device` option through the public API. Without a CUDA library (plain `npm test`): `cuda`
// is ERR_RECKIT_NO_DEVICE with info().cuda.reason and `auto` quietly stays on the CPU. With one
// (RECKIT_CUDA_LIBRARY, run by `npm run test:emulated` on the emulated build): a small training loop on the
// device matches the CPU, and save/load round-trips. Kernel-level cases: test/conformance/embedding-table-device.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EmbeddingTable, Mlp, info } from '../lib/index';
import { assertEachNoDevice, seededFloats } from './helpers';

const cuda = info().cuda;

test('device: a bad value is ERR_RECKIT_INVALID_ARG before anything is allocated', () => {
  for (const device of ['gpu', 1, null]) {
    try {
      new EmbeddingTable({ rows: 2, dim: 2, device: device as never });
      assert.unreachable('should throw');
    } catch (e) {
      assert.is((e as { code?: string }).code, 'ERR_RECKIT_INVALID_ARG');
    }
  }
  // the default is auto: the device when a CUDA library is usable
  assert.is(new EmbeddingTable({ rows: 2, dim: 2 }).device, cuda.available ? 'cuda' : 'cpu');
  assert.is(new EmbeddingTable({ rows: 2, dim: 2, device: 'cpu' }).device, 'cpu');
});

if (!cuda.available) {
  console.log(`  (embedding-table-device: no CUDA library is usable, so only the fallback is tested: ${cuda.reason})`);

  test('device cuda without CUDA: ERR_RECKIT_NO_DEVICE naming the reason, for every way to make a table', async () => {
    const data = new Float32Array(4);
    const buffer = EmbeddingTable.fromArray(2, 2, data).toBuffer();
    const makers: (() => unknown)[] = [
      () => new EmbeddingTable({ rows: 2, dim: 2, device: 'cuda' }),
      () => EmbeddingTable.fromArray(2, 2, data, { device: 'cuda' }),
      () => EmbeddingTable.fromBuffer(buffer, { device: 'cuda' }),
    ];
    await assertEachNoDevice(makers, cuda.reason);
    for (const make of [() => EmbeddingTable.createAsync({ rows: 2, dim: 2, device: 'cuda' }),
      () => EmbeddingTable.fromBufferAsync(buffer, { device: 'cuda' })]) {
      try {
        await make();
        assert.unreachable('should reject');
      } catch (e) {
        assert.is((e as { code?: string }).code, 'ERR_RECKIT_NO_DEVICE');
      }
    }
  });

  test('device auto without CUDA: the CPU, silently', () => {
    const t = new EmbeddingTable({ rows: 3, dim: 2, device: 'auto' });
    assert.is(t.device, 'cpu');
    t.step([1], null, Float32Array.from([1, 1]), { optimizer: 'sgd', lr: 1 });
    const mlp = new Mlp({ input: 2, layers: [{ units: 1 }], device: 'auto' });
    assert.is(mlp.trainSync(new Float32Array(4), new Float32Array(2), { epochs: 1, batchSize: 2, loss: 'mse' }).length, 1);
  });

  test('Mlp on cuda without CUDA: ERR_RECKIT_NO_DEVICE with the reason, the model unchanged', async () => {
    const mlp = new Mlp({ input: 2, layers: [{ units: 1 }] });
    assert.is(mlp.device, 'cpu');
    const before = mlp.parameters();
    const x = new Float32Array(4), y = new Float32Array(2);
    await assertEachNoDevice([() => new Mlp({ input: 2, layers: [{ units: 1 }], device: 'cuda' }),
      () => Mlp.fromBuffer(mlp.toBuffer(), { device: 'cuda' }),
      () => mlp.setDevice('cuda'),
      () => mlp.trainSync(x, y, { epochs: 1, batchSize: 2, loss: 'mse', device: 'cuda' }),
      () => mlp.train(x, y, { epochs: 1, batchSize: 2, loss: 'mse', device: 'cuda' })], cuda.reason);
    assert.equal(mlp.parameters(), before);
  });
} else {
  test('device auto with CUDA: the table lives on the device, an Mlp trains there', () => {
    assert.is(new EmbeddingTable({ rows: 3, dim: 2, device: 'auto' }).device, 'cuda');
    const x = seededFloats(20, 1), y = seededFloats(10, 2);
    const opts = { epochs: 2, batchSize: 4, loss: 'mse' as const, seed: 3 };
    const auto = new Mlp({ input: 2, layers: [{ units: 3, activation: 'tanh' }, { units: 1 }], device: 'auto' });
    const cpu = new Mlp({ input: 2, layers: [{ units: 3, activation: 'tanh' }, { units: 1 }], device: 'cpu' });
    assert.is(auto.device, 'cuda');
    assert.is(new Mlp({ input: 2, layers: [{ units: 1 }] }).device, 'cuda', 'auto is the default');
    const a = auto.trainSync(x, y, opts), c = cpu.trainSync(x, y, opts);
    for (let i = 0; i < c.length; i++) assert.ok(Math.abs(a[i] - c[i]) <= 1e-6 * Math.abs(c[i]), `loss ${i}`);
  });

  test('device cuda: a training loop (lookup, bag backward, Adam steps) matches the CPU; save and load round-trip', async () => {
    const rows = 64, dim = 24;
    const cpu = new EmbeddingTable({ rows, dim, init: { kind: 'normal', std: 0.1, seed: 42 }, device: 'cpu' });
    const gpu = new EmbeddingTable({ rows, dim, init: { kind: 'normal', std: 0.1, seed: 42 }, device: 'cuda' });
    assert.equal(gpu.data(), cpu.data());
    for (let it = 0; it < 5; it++) {
      const ids = Uint32Array.from({ length: 12 }, (_, i) => (i * 7 + it * 5) % rows);
      const offsets = [0, 4, 4, 9];
      const gradOut = seededFloats(offsets.length * dim, it + 1);
      const opts = { optimizer: 'adam' as const, lr: 0.01, mode: (['sum', 'mean', 'max'] as const)[it % 3] };
      const a = cpu.step(ids, offsets, gradOut, opts);
      const b = it % 2 ? await gpu.stepAsync(ids, offsets, gradOut, opts) : gpu.step(ids, offsets, gradOut, opts);
      assert.is(b.rowsTouched, a.rowsTouched);
    }
    const want = cpu.data(), got = gpu.data();
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= 1e-6 + 1e-5 * Math.abs(want[i]), `data[${i}]`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reckit-device-'));
    try {
      const file = path.join(dir, 't.safetensors');
      await gpu.saveAsync(file, { optimizerState: true });
      const back = await EmbeddingTable.loadAsync(file, { optimizerState: true, device: 'cuda' });
      assert.is(back.device, 'cuda');
      assert.is(back.optimizerState, 'adam');
      assert.equal(back.data(), got);
      assert.equal(back.get(5), gpu.get(5));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
