// Gan's, TabularSynthesizer's and CFGAN's `device` option through the public API. Without a CUDA library (plain `npm test`):
// `cuda` is ERR_RECKIT_NO_DEVICE with info().cuda.reason and `auto` (the default) quietly trains on the CPU. With
// one (RECKIT_CUDA_LIBRARY, run by `npm run test:emulated`): `auto` picks the device, a fit and a synthesizer train
// there like on the CPU (progress within 1e-4 relative), and sampling works. Step-level cases:
// test/conformance/gan-device.conformance.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CFGAN, Gan, TabularSynthesizer, clean, fromRows, info } from '../lib/index';
import type { GanProgress } from '../lib/gan';
import type { SynthesizerProgress } from '../lib/tabular/synthesizer';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertEachNoDevice, codeOf, seededFloats } from './helpers';
import { runCli } from './helpers/cli';

const cuda = info().cuda;
const small = { dataDim: 3, noiseDim: 2, generator: [{ units: 6, activation: 'relu' as const }], discriminator: [{ units: 5, activation: 'relu' as const }], seed: 1 };

// A tiny mixed table: a category tied to a number, and a flag.
function table(rows: number): Record<string, string | number | boolean>[] {
  const u = seededFloats(2 * rows, 17);
  return Array.from({ length: rows }, (_, i) => {
    const segment = u[i] > 0.3 ? 'vip' : u[i] > -0.4 ? 'regular' : 'casual';
    return { segment, spend: Math.round((segment === 'vip' ? 300 : 40) * (1.5 + u[rows + i]) * 100) / 100, member: u[rows + i] > 0 };
  });
}
const synthOptions = { epochs: 2, batchSize: 20, pac: 2, noiseDim: 4, generator: [8], discriminator: [8], lr: 1e-3, seed: 2 };

test('gan device: a bad value is ERR_RECKIT_INVALID_ARG', () => {
  for (const device of ['gpu', 1, null]) {
    assert.is(codeOf(() => new Gan({ ...small, device: device as never })), 'ERR_RECKIT_INVALID_ARG');
    assert.is(codeOf(() => new TabularSynthesizer({ device: device as never })), 'ERR_RECKIT_INVALID_ARG');
    assert.is(codeOf(() => new CFGAN({ device: device as never })), 'ERR_RECKIT_INVALID_ARG');
  }
  assert.is(new CFGAN({ device: 'cpu' }).device, 'cpu');
  assert.is(new Gan({ ...small, device: 'cpu' }).device, 'cpu');
  assert.is(new TabularSynthesizer({ device: 'cpu' }).device, 'cpu');
});

test('reckit synth --device: a bad value exits 2; cuda where CUDA is unusable exits 2 naming the reason', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reckit-gan-device-'));
  const data = join(dir, 'data.csv');
  writeFileSync(data, `a,b\n${Array.from({ length: 20 }, (_, i) => `${i},${i % 2 ? 'x' : 'y'}`).join('\n')}\n`);
  const args = ['synth', data, '--rows', '5', '--out', join(dir, 'out.csv'), '--epochs', '1'];
  const bad = await runCli([...args, '--device', 'gpu']);
  assert.is(bad.code, 2, bad.err);
  assert.match(bad.err, /--device must be auto, cpu or cuda/);
  if (!cuda.available) {
    const r = await runCli([...args, '--device', 'cuda']);
    assert.is(r.code, 2, r.err);
    assert.ok(r.err.includes(cuda.reason ?? '?'), r.err);
  }
});

if (!cuda.available) {
  console.log(`  (gan-device: no CUDA library is usable, so only the fallback is tested: ${cuda.reason})`);

  test('gan device cuda without CUDA: ERR_RECKIT_NO_DEVICE naming the reason', async () => {
    const buffer = new Gan(small).toBuffer();
    await assertEachNoDevice([() => new Gan({ ...small, device: 'cuda' }), () => Gan.fromBuffer(buffer, { device: 'cuda' }),
      () => new TabularSynthesizer({ device: 'cuda' }), () => new CFGAN({ device: 'cuda' })], cuda.reason);
  });

  test('gan device auto (the default) without CUDA: the CPU, silently', async () => {
    const gan = new Gan(small);
    assert.is(gan.device, 'cpu');
    assert.is(Gan.fromBuffer(gan.toBuffer()).device, 'cpu');
    assert.is((await gan.fit(seededFloats(30, 1), { epochs: 1, batchSize: 4 })).epochs, 1);
    assert.is(new TabularSynthesizer().device, 'cpu');
    assert.is(new CFGAN().device, 'cpu');
    gan.dispose();
  });
} else {
  test('gan device auto (the default) with CUDA: fits on the device like the CPU, then samples', async () => {
    const gpu = new Gan(small);
    assert.is(gpu.device, 'cuda');
    const cpu = new Gan({ ...small, device: 'cpu' });
    const data = seededFloats(60, 3);
    const seen: GanProgress[][] = [[], []];
    await Promise.all([
      gpu.fit(data, { epochs: 2, batchSize: 8, lr: 1e-3, onProgress: (p) => seen[0].push(p) }),
      cpu.fit(data, { epochs: 2, batchSize: 8, lr: 1e-3, onProgress: (p) => seen[1].push(p) }),
    ]);
    assert.is(seen[0].length, 2);
    seen[0].forEach((p, i) => {
      for (const k of ['dLoss', 'gLoss', 'dReal', 'dFake'] as const) {
        assert.ok(Math.abs(p[k] - seen[1][i][k]) <= 1e-4 * Math.abs(seen[1][i][k]) + 1e-7, `${k}[${i}]: ${p[k]} vs ${seen[1][i][k]}`);
      }
    });
    assert.is(gpu.sample(5, { seed: 1 }).length, 15);
    assert.is(Gan.fromBuffer(gpu.toBuffer()).device, 'cuda');
    gpu.dispose();
    cpu.dispose();
  });

  test('TabularSynthesizer on the device: trains like the CPU (progress), samples rows', async () => {
    const rows = table(60);
    const gpu = new TabularSynthesizer({ ...synthOptions, device: 'cuda' });
    const cpu = new TabularSynthesizer({ ...synthOptions, device: 'cpu' });
    assert.is(gpu.device, 'cuda');
    const seen: SynthesizerProgress[][] = [[], []];
    await gpu.fit(rows, { onProgress: (p) => seen[0].push(p) });
    await cpu.fit(rows, { onProgress: (p) => seen[1].push(p) });
    assert.is(seen[0].length, 2);
    seen[0].forEach((p, i) => {
      for (const k of ['dLoss', 'gLoss', 'conditionLoss'] as const) {
        assert.ok(Math.abs(p[k] - seen[1][i][k]) <= 1e-4 * Math.abs(seen[1][i][k]) + 1e-7, `${k}[${i}]: ${p[k]} vs ${seen[1][i][k]}`);
      }
    });
    const sampled = await gpu.sample(10, { seed: 3 });
    assert.is(sampled.length, 10);
    assert.equal(Object.keys(sampled[0]), ['segment', 'spend', 'member']);
    gpu.dispose();
    cpu.dispose();
  });

  test('CFGAN on the device (auto): trains like the CPU (losses), recommends', async () => {
    const rows = [];
    for (let u = 0; u < 12; u++) for (let j = 0; j < 3; j++) rows.push({ user: `u${u}`, item: `i${(u * 3 + j * 5) % 10}` });
    const x = clean(fromRows(rows)).interactions;
    const options = { epochs: 2, batchSize: 5, noiseDim: 2, generator: [{ units: 6, activation: 'relu' as const }], discriminator: [{ units: 4, activation: 'relu' as const }], seed: 1 };
    const gpu = new CFGAN(options);
    const cpu = new CFGAN({ ...options, device: 'cpu' });
    assert.is(gpu.device, 'cuda');
    const [a, b] = [await gpu.fit(x), await cpu.fit(x)];
    a.losses.forEach((l, i) => assert.ok(Math.abs(l - b.losses[i]) <= 1e-4 * Math.abs(b.losses[i]) + 1e-7, `loss[${i}]: ${l} vs ${b.losses[i]}`));
    assert.is(gpu.recommend('u0', { k: 3 }).length, 3);
    gpu.dispose();
    cpu.dispose();
  });
}

test.run();
