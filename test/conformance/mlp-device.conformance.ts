// Mlp training on the device (train({ device: 'cuda' })) against the CPU trainer from the same seed: every
// activation, widths past the GEMM's 64-wide tiles, a last mini-batch holding the remainder, both losses, Adam
// (state carried over a second train call and through save/load) and SGD with momentum and weight decay. The
// per-epoch losses within 1e-6 relative, the parameters within 1e-4 relative + 1e-5 absolute (the GEMM sums in
// another order than the CPU's, and errors compound over the steps). Device out-of-memory is
// ERR_RECKIT_OUT_OF_MEMORY with the model unchanged.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Mlp } from '../../lib/index';
import type { LayerSpec, OptimizerOptions } from '../../lib/mlp';
import { seededFloats } from '../helpers';
import { assertAllClose, requireCudaBackend } from './cuda-backend';

const { backend } = requireCudaBackend();

const NETWORKS: { name: string; input: number; layers: LayerSpec[] }[] = [
  { name: 'relu/sigmoid', input: 6, layers: [{ units: 10, activation: 'relu' }, { units: 3, activation: 'sigmoid' }] },
  { name: 'tanh/leaky_relu/linear, 70 wide', input: 5, layers: [{ units: 70, activation: 'tanh' }, { units: 9, activation: 'leaky_relu', slope: 0.1 }, { units: 2, activation: 'linear' }] },
  { name: 'one linear layer, 130 inputs', input: 130, layers: [{ units: 1, activation: 'linear' }] },
];

const OPTIMIZERS: { name: string; optimizer: OptimizerOptions }[] = [
  { name: 'adam', optimizer: { type: 'adam', lr: 0.01, weightDecay: 0.001 } },
  { name: 'sgd momentum', optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 0.01 } },
];

function data(input: number, output: number, rows: number, seed: number): { x: Float32Array; y: Float32Array } {
  const x = seededFloats(rows * input, seed);
  const y = seededFloats(rows * output, seed + 1).map((v) => (v > 0 ? 1 : 0));
  return { x, y };
}

function closeLosses(got: number[], want: number[], what: string): void {
  assert.is(got.length, want.length, `${what}: epochs`);
  assertAllClose(got, want, 1e-6, 1e-9, what);
}

// Every network with both optimizers; the losses alternate (each is checked per element by training-ops).
NETWORKS.forEach((net, n) => {
  OPTIMIZERS.forEach(({ name, optimizer }, o) => {
    {
      const loss = (n + o) % 2 === 0 ? 'mse' as const : 'bce_with_logits' as const;
      test(`mlp train ${net.name}, ${name}, ${loss}: the device trains like the CPU`, () => {
        const output = net.layers[net.layers.length - 1].units;
        const { x, y } = data(net.input, output, 45, 3);
        const cpu = new Mlp({ input: net.input, layers: net.layers, seed: 11, device: 'cpu' });
        const gpu = new Mlp({ input: net.input, layers: net.layers, seed: 11, device: 'cuda' });
        assert.is(gpu.device, 'cuda');
        const opts = { epochs: 2, batchSize: 16, loss, optimizer, seed: 5 };  // 16 + 16 + 13 rows per epoch
        closeLosses(gpu.trainSync(x, y, opts), cpu.trainSync(x, y, opts), 'losses');
        assertAllClose(gpu.parameters(), cpu.parameters(), 1e-4, 1e-5, 'parameters');
        // A second run continues from the state the device left in the model.
        closeLosses(gpu.trainSync(x, y, { ...opts, seed: 6 }), cpu.trainSync(x, y, { ...opts, seed: 6 }), 'second run losses');
        assertAllClose(gpu.parameters(), cpu.parameters(), 1e-4, 1e-5, 'parameters after the second run');
        cpu.dispose();
        gpu.dispose();
      });
    }
  });
});

test('mlp train on the device: async with onEpoch, the state saved and continued on the CPU', async () => {
  const net = NETWORKS[1];
  const { x, y } = data(net.input, 2, 40, 9);
  const cpu = new Mlp({ input: net.input, layers: net.layers, seed: 2, device: 'cpu' });
  const gpu = new Mlp({ input: net.input, layers: net.layers, seed: 2, device: 'cpu' });  // a transient device copy
  const opts = { epochs: 3, batchSize: 12, loss: 'mse' as const };
  const seen: number[] = [];
  const got = await gpu.train(x, y, { ...opts, device: 'cuda', onEpoch: (_e, l) => seen.push(l) });
  const want = await cpu.train(x, y, opts);
  closeLosses(got.losses, want.losses, 'async losses');
  closeLosses(seen, want.losses, 'onEpoch losses');
  // The device's Adam moments and step count went into the model: saved, loaded and trained on the CPU, it
  // continues like the CPU's own model.
  const moved = Mlp.fromBuffer(gpu.toBuffer(), { device: 'cpu' });
  closeLosses(moved.trainSync(x, y, opts), cpu.trainSync(x, y, opts), 'CPU training from the device state');
  assertAllClose(moved.parameters(), cpu.parameters(), 1e-4, 1e-5, 'parameters');
  for (const m of [cpu, gpu, moved]) m.dispose();
});

test('mlp train on the device: an abort keeps the whole mini-batches done so far', async () => {
  const net = NETWORKS[0];
  const { x, y } = data(net.input, 3, 64, 4);
  const gpu = new Mlp({ input: net.input, layers: net.layers, seed: 1, device: 'cuda' });
  const before = gpu.parameters();
  const controller = new AbortController();
  try {
    await gpu.train(x, y, { epochs: 50, batchSize: 8, loss: 'mse', signal: controller.signal, onEpoch: () => controller.abort() });
    assert.unreachable('should abort');
  } catch (e) {
    assert.is((e as Error).name, 'AbortError');
  }
  const after = gpu.parameters();
  assert.ok(after.some((v, i) => v !== before[i]), 'the first epoch was kept');
  gpu.dispose();
});

test('mlp train on the device: dispose from onEpoch stops it with ERR_RECKIT_DISPOSED', async () => {
  const net = NETWORKS[0];
  const { x, y } = data(net.input, 3, 32, 4);
  const gpu = new Mlp({ input: net.input, layers: net.layers, seed: 1, device: 'cuda' });
  let epochs = 0;
  try {
    await gpu.train(x, y, { epochs: 50, batchSize: 8, loss: 'mse', onEpoch: () => (++epochs === 1 ? gpu.dispose() : undefined) });
    assert.unreachable('should reject');
  } catch (e) {
    assert.is((e as { code?: string }).code, 'ERR_RECKIT_DISPOSED', String(e));
  }
  assert.ok(epochs <= 2, `stopped after ${epochs} epochs`);
});

if (backend === 'emulated') {
  test('mlp train on the device: out-of-memory is ERR_RECKIT_OUT_OF_MEMORY and the model is unchanged (emulated limit)', () => {
    const net = NETWORKS[1];
    const { x, y } = data(net.input, 2, 40, 9);
    const gpu = new Mlp({ input: net.input, layers: net.layers, seed: 2, device: 'cuda' });
    const before = gpu.parameters();
    for (const limit of [64, 10000]) {  // the parameters do not fit; then they do (8.6 KB with gradients) but the activations do not
      process.env.RECKIT_CUDA_EMU_MEMORY_LIMIT = String(limit);
      try {
        gpu.trainSync(x, y, { epochs: 1, batchSize: 40, loss: 'mse' });
        assert.unreachable('should throw');
      } catch (e) {
        assert.is((e as { code?: string }).code, 'ERR_RECKIT_OUT_OF_MEMORY', String(e));
        assert.match(String(e), limit === 64 ? /parameters/ : /activations/);
      } finally {
        delete process.env.RECKIT_CUDA_EMU_MEMORY_LIMIT;
      }
      assertAllClose(gpu.parameters(), before, 0, 0, `parameters after the failed run (limit ${limit})`);
    }
    assert.is(gpu.trainSync(x, y, { epochs: 1, batchSize: 40, loss: 'mse' }).length, 1);
    gpu.dispose();
  });
}

test.run();
