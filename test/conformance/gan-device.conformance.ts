// Gan training on the device (new Gan({ device: 'cuda' })) against the CPU loop from the same seed: output spans of
// every kind (tanh, softmax, linear, Gumbel-softmax), conditions with CTGAN's conditional loss, PacGAN packing,
// dSteps 2, one-sided label smoothing, a last batch holding a remainder and one rounded down to no pack at all, an
// unconditional Gan with a plain output activation, and a hidden layer past the GEMM's 64-wide tiles. Counters
// equal; per-epoch progress within 1e-5 relative + 1e-7 absolute; both networks' parameters within 1e-4 relative +
// 1e-5 absolute (the GEMM sums in another order than the CPU's, the Gumbel spans scale gradients by 1/τ, and
// errors compound over the steps). The noise is the CPU's (drawn on the host), so no tolerance covers a
// different draw. Then: a second fit continuing from the state the device left, the device's Adam state saved
// and continued on the CPU, async progress, dispose during a fit, and device out-of-memory with the model intact.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Gan } from '../../lib/index';
import type { GanFitOptions, GanOptions, GanProgress } from '../../lib/gan';
import { seededFloats } from '../helpers';
import { assertAllClose, requireCudaBackend } from './cuda-backend';

const { backend } = requireCudaBackend();

interface Case {
  name: string;
  options: GanOptions;
  rows: number;
  fit: Omit<GanFitOptions, 'conditions' | 'onProgress' | 'signal'>;
}

// One-hot conditions: each row asks for one slot of the links' condition vector (or none, for rows conditioned on
// another column), as TabularSynthesizer's sampler does.
function conditions(rows: number, dim: number, seed: number): Float32Array {
  const c = new Float32Array(rows * dim);
  const pick = seededFloats(rows, seed);
  for (let r = 0; r < rows; r++) {
    const slot = Math.floor(((pick[r] + 1) / 2) * (dim + 1));
    if (slot < dim) c[r * dim + slot] = 1;
  }
  return c;
}

const CASES: Case[] = [
  {
    name: 'every span kind, conditions and links, pac 2, dSteps 2, label smoothing',
    options: {
      dataDim: 8,
      noiseDim: 4,
      conditionDim: 5,
      generator: [{ units: 12, activation: 'relu' }],
      discriminator: [{ units: 10, activation: 'leaky_relu', alpha: 0.2 }],
      outputSpans: [
        { kind: 'tanh', width: 2 },
        { kind: 'gumbel', width: 3 },
        { kind: 'softmax', width: 2 },
        { kind: 'linear', width: 1 },
      ],
      tau: 0.5,
      conditionLinks: [{ conditionStart: 0, dataStart: 2, width: 3 }, { conditionStart: 3, dataStart: 5, width: 2 }],
      conditionLossWeight: 0.7,
      pac: 2,
      seed: 7,
    },
    rows: 22, // batches of 8, 8 and 6 rows: dSteps 2 pairs the first two, the third goes alone
    fit: { epochs: 2, batchSize: 8, lr: 1e-3, dSteps: 2, labelSmoothing: 0.1 },
  },
  {
    name: 'unconditional, tanh output, pac 1, a 70-wide generator layer',
    options: {
      dataDim: 3,
      noiseDim: 5,
      generator: [{ units: 70, activation: 'tanh' }],
      discriminator: [{ units: 6, activation: 'sigmoid' }],
      outputActivation: 'tanh',
      seed: 3,
    },
    rows: 17, // batches of 5, 5, 5 and 2
    fit: { epochs: 2, batchSize: 5, lr: 2e-3, betas: [0.6, 0.99] },
  },
  {
    name: 'pac 3 with a last batch rounded down to nothing, Gumbel spans only',
    options: {
      dataDim: 4,
      noiseDim: 3,
      conditionDim: 2,
      generator: [{ units: 9, activation: 'leaky_relu', alpha: 0.1 }],
      discriminator: [{ units: 7, activation: 'relu' }, { units: 5, activation: 'tanh' }],
      outputSpans: [{ kind: 'gumbel', width: 2 }, { kind: 'gumbel', width: 2 }],
      conditionLinks: [{ conditionStart: 0, dataStart: 2, width: 2 }],
      pac: 3,
      seed: 11,
    },
    rows: 13, // batches of 6, 6 and 1 (no whole pack: skipped, as on the CPU)
    fit: { epochs: 2, batchSize: 6, lr: 1e-3 },
  },
];

function dataFor(c: Case, seed: number): { data: Float32Array; conditions?: Float32Array } {
  const data = seededFloats(c.rows * c.options.dataDim, seed);
  const cd = c.options.conditionDim ?? 0;
  return cd ? { data, conditions: conditions(c.rows, cd, seed + 1) } : { data };
}

function closeProgress(got: GanProgress[], want: GanProgress[], what: string): void {
  assert.is(got.length, want.length, `${what}: epochs`);
  got.forEach((g, i) => {
    assert.is(g.epoch, want[i].epoch, `${what}[${i}].epoch`);
    const keys = ['dLoss', 'gLoss', 'dReal', 'dFake', 'conditionLoss'] as const;
    assertAllClose(keys.map((k) => g[k]), keys.map((k) => want[i][k]), 1e-5, 1e-7, `${what}[${i}] (${keys.join(', ')})`);
  });
}

function closeModels(gpu: Gan, cpu: Gan, what: string): void {
  const g = gpu.parameters(), c = cpu.parameters();
  assertAllClose(g.generator, c.generator, 1e-4, 1e-5, `${what}: generator`);
  assertAllClose(g.discriminator, c.discriminator, 1e-4, 1e-5, `${what}: discriminator`);
  const dg = gpu.describe(), dc = cpu.describe();
  assert.equal([dg.epochs, dg.discriminatorSteps, dg.generatorSteps], [dc.epochs, dc.discriminatorSteps, dc.generatorSteps],
    `${what}: counters`);
}

async function fitBoth(gpu: Gan, cpu: Gan, c: Case, seed: number, what: string): Promise<void> {
  const { data, conditions } = dataFor(c, seed);
  const seenGpu: GanProgress[] = [], seenCpu: GanProgress[] = [];
  const a = await gpu.fit(data, { ...c.fit, conditions, onProgress: (p) => seenGpu.push(p) });
  const b = await cpu.fit(data, { ...c.fit, conditions, onProgress: (p) => seenCpu.push(p) });
  assert.is(a.epochs, b.epochs, `${what}: epochs run`);
  closeProgress(seenGpu, seenCpu, `${what}: progress`);
  closeModels(gpu, cpu, what);
}

CASES.forEach((c) => {
  test(`gan fit ${c.name}: the device trains like the CPU, and continues like it`, async () => {
    const cpu = new Gan({ ...c.options, device: 'cpu' });
    const gpu = new Gan({ ...c.options, device: 'cuda' });
    assert.is(gpu.device, 'cuda');
    assert.is(cpu.device, 'cpu');
    await fitBoth(gpu, cpu, c, 5, 'first fit');
    // The counters carried the random streams on: a second fit draws the same noise on both.
    await fitBoth(gpu, cpu, c, 6, 'second fit');
    cpu.dispose();
    gpu.dispose();
  });
});

test('gan fit on the device: the Adam state and counters it left, saved and loaded, continue on the CPU like the CPU', async () => {
  const c = CASES[0];
  const cpu = new Gan({ ...c.options, device: 'cpu' });
  const gpu = new Gan({ ...c.options, device: 'cuda' });
  await fitBoth(gpu, cpu, c, 8, 'device fit');
  const moved = Gan.fromBuffer(gpu.toBuffer(), { device: 'cpu' });
  assert.is(moved.device, 'cpu');
  await fitBoth(moved, cpu, c, 9, 'CPU fit from the device state');
  // And back: the CPU's state continued on the device.
  const back = Gan.fromBuffer(cpu.toBuffer(), { device: 'cuda' });
  const ref = Gan.fromBuffer(cpu.toBuffer(), { device: 'cpu' });
  await fitBoth(back, ref, c, 10, 'device fit from the CPU state');
  for (const g of [cpu, gpu, moved, back, ref]) g.dispose();
});

test('gan fit on the device: dispose from onProgress stops it with ERR_RECKIT_DISPOSED', async () => {
  const c = CASES[1];
  const gpu = new Gan({ ...c.options, device: 'cuda' });
  const { data } = dataFor(c, 4);
  let epochs = 0;
  try {
    await gpu.fit(data, { ...c.fit, epochs: 50, onProgress: () => (++epochs === 1 ? gpu.dispose() : undefined) });
    assert.unreachable('should reject');
  } catch (e) {
    assert.is((e as { code?: string }).code, 'ERR_RECKIT_DISPOSED', String(e));
  }
  assert.ok(epochs <= 2, `stopped after ${epochs} epochs`);
});

test('gan fit on the device: an abort keeps the whole steps done', async () => {
  const c = CASES[1];
  const gpu = new Gan({ ...c.options, device: 'cuda' });
  const before = gpu.parameters();
  const { data } = dataFor(c, 4);
  const controller = new AbortController();
  try {
    await gpu.fit(data, { ...c.fit, epochs: 50, signal: controller.signal, onProgress: () => controller.abort() });
    assert.unreachable('should abort');
  } catch (e) {
    assert.is((e as Error).name, 'AbortError');
  }
  const d = gpu.describe();
  assert.ok(d.epochs >= 1 && d.epochs < 50, `epochs kept: ${d.epochs}`);
  assert.ok(d.generatorSteps >= 4 * d.epochs, `the steps of every whole epoch were kept (${d.generatorSteps})`);
  assert.ok(gpu.parameters().generator.some((v, i) => v !== before.generator[i]), 'the parameters came back');
  gpu.dispose();
});

if (backend === 'emulated') {
  test('gan fit on the device: out-of-memory is ERR_RECKIT_OUT_OF_MEMORY with the model unchanged (emulated limit)', async () => {
    const c = CASES[0];
    const gpu = new Gan({ ...c.options, device: 'cuda' });
    const { data, conditions } = dataFor(c, 2);
    await gpu.fit(data, { ...c.fit, epochs: 1, conditions });
    const before = gpu.parameters();
    const counters = gpu.describe();
    // The networks do not fit; then they do (about 2 KB each with gradients) but the batch buffers do not.
    for (const limit of [256, 6000]) {
      process.env.RECKIT_CUDA_EMU_MEMORY_LIMIT = String(limit);
      try {
        await gpu.fit(data, { ...c.fit, epochs: 1, conditions });
        assert.unreachable('should reject');
      } catch (e) {
        assert.is((e as { code?: string }).code, 'ERR_RECKIT_OUT_OF_MEMORY', String(e));
      } finally {
        delete process.env.RECKIT_CUDA_EMU_MEMORY_LIMIT;
      }
      const after = gpu.parameters();
      assertAllClose(after.generator, before.generator, 0, 0, `generator after the failed fit (limit ${limit})`);
      assertAllClose(after.discriminator, before.discriminator, 0, 0, `discriminator after the failed fit (limit ${limit})`);
      assert.is(gpu.describe().generatorSteps, counters.generatorSteps);
    }
    assert.is((await gpu.fit(data, { ...c.fit, epochs: 1, conditions })).epochs, 1);
    gpu.dispose();
  });
}

test.run();
