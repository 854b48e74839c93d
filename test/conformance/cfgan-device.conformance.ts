// CFGAN training on the device (new CFGAN({ device: 'cuda' })) against the CPU loop from the same seed: partial
// masking and zero reconstruction, dSteps 2 with a last batch holding a remainder, a generator without noise, more
// items than the GEMM's 64-wide tiles. Per-epoch losses within 1e-5 relative + 1e-7 absolute, both networks'
// parameters (read from the saved model) within 1e-4 relative + 1e-5 absolute, and the scores of every user within
// 1e-4 absolute. The batches, noise and masks are the CPU's own draws (made on the host), so no tolerance covers
// a different draw. dispose() during a fit is ERR_RECKIT_DISPOSED, device out-of-memory ERR_RECKIT_OUT_OF_MEMORY.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CFGAN } from '../../lib/index';
import type { CfganOptions } from '../../lib/recsys/cfgan';
import { readSafetensors } from '../../lib/safetensors';
import { assertAllClose, requireCudaBackend } from './cuda-backend';
import { randomLog } from '../helpers/random-log';

const { backend } = requireCudaBackend();

const CASES: { name: string; options: CfganOptions; users: number; items: number }[] = [
  {
    name: 'noise 3, dSteps 2, a 6-user remainder',
    options: { epochs: 2, batchSize: 8, noiseDim: 3, dSteps: 2, lr: 2e-3, pmRatio: 0.4, zrRatio: 0.6, zrWeight: 0.5, seed: 4,
      generator: [{ units: 12, activation: 'relu' }], discriminator: [{ units: 6, activation: 'leaky_relu', alpha: 0.2 }] },
    users: 30,
    items: 25,
  },
  {
    name: 'no noise, 70+ items, two generator layers',
    options: { epochs: 2, batchSize: 10, noiseDim: 0, lr: 1e-3, seed: 9,
      generator: [{ units: 9, activation: 'tanh' }, { units: 7, activation: 'relu' }], discriminator: [{ units: 5, activation: 'sigmoid' }] },
    users: 22,
    items: 120,
  },
];

function parameters(model: CFGAN): { generator: Float32Array; discriminator: Float32Array } {
  const t = readSafetensors(model.toBuffer()).tensors;
  return { generator: t['cfgan.generator'].data as Float32Array, discriminator: t['cfgan.discriminator'].data as Float32Array };
}

CASES.forEach((c) => {
  test(`cfgan fit ${c.name}: the device trains like the CPU`, async () => {
    const x = randomLog(c.users, c.users, c.items);
    const cpu = new CFGAN({ ...c.options, device: 'cpu' });
    const gpu = new CFGAN({ ...c.options, device: 'cuda' });
    assert.is(gpu.device, 'cuda');
    const got = await gpu.fit(x);
    const want = await cpu.fit(x);
    assertAllClose(got.losses, want.losses, 1e-5, 1e-7, 'losses');
    const g = parameters(gpu), w = parameters(cpu);
    assertAllClose(g.generator, w.generator, 1e-4, 1e-5, 'generator');
    assertAllClose(g.discriminator, w.discriminator, 1e-4, 1e-5, 'discriminator');
    const users = Int32Array.from({ length: x.numUsers }, (_, u) => u);
    assertAllClose(gpu.scoreUsersSync(users), cpu.scoreUsersSync(users), 0, 1e-4, 'scores');
    cpu.dispose();
    gpu.dispose();
  });
});

test('cfgan fit on the device: dispose from onProgress stops it with ERR_RECKIT_DISPOSED', async () => {
  const x = randomLog(3, 20, 15);
  const gpu = new CFGAN({ ...CASES[0].options, epochs: 50, device: 'cuda' });
  let epochs = 0;
  try {
    await gpu.fit(x, { onProgress: () => (++epochs === 1 ? gpu.dispose() : undefined) });
    assert.unreachable('should reject');
  } catch (e) {
    assert.is((e as { code?: string }).code, 'ERR_RECKIT_DISPOSED', String(e));
  }
  assert.ok(epochs <= 2, `stopped after ${epochs} epochs`);
});

if (backend === 'emulated') {
  test('cfgan fit on the device: out-of-memory is ERR_RECKIT_OUT_OF_MEMORY (emulated limit)', async () => {
    const x = randomLog(5, 20, 15);
    const gpu = new CFGAN({ ...CASES[0].options, device: 'cuda' });
    process.env.RECKIT_CUDA_EMU_MEMORY_LIMIT = '2000';
    try {
      await gpu.fit(x);
      assert.unreachable('should reject');
    } catch (e) {
      assert.is((e as { code?: string }).code, 'ERR_RECKIT_OUT_OF_MEMORY', String(e));
    } finally {
      delete process.env.RECKIT_CUDA_EMU_MEMORY_LIMIT;
    }
    assert.is((await gpu.fit(x)).losses.length, 2);
    gpu.dispose();
  });
}

test.run();
