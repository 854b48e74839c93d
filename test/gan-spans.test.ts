// Gan output spans: forward against a float64 reference, backward against central finite differences
// of the float64 reference, Gumbel noise statistics, the conditional loss and its gradient, and a Gan
// with spans, condition links and packing (training, save/load round trip, bad input).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Gan, readSafetensors, writeSafetensors, type OutputSpan } from '../lib/index';
import { conditionLoss, gumbelNoise, spanBackward, spanForward } from '../lib/gan-spans';

const spans: OutputSpan[] = [
  { kind: 'tanh', width: 2 },
  { kind: 'softmax', width: 3 },
  { kind: 'linear', width: 1 },
  { kind: 'gumbel', width: 4 },
];
const DIM = 10;
const TAU = 0.5;

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

// Float64 reference of the span activations.
function reference(z: Float64Array, g: Float64Array | null, rows: number): Float64Array {
  const y = new Float64Array(z.length);
  for (let r = 0; r < rows; r++) {
    let at = 0;
    for (const s of spans) {
      const base = r * DIM + at;
      if (s.kind === 'tanh') for (let j = 0; j < s.width; j++) y[base + j] = Math.tanh(z[base + j]);
      else if (s.kind === 'linear') for (let j = 0; j < s.width; j++) y[base + j] = z[base + j];
      else {
        const scale = s.kind === 'gumbel' ? 1 / TAU : 1;
        const e = [];
        for (let j = 0; j < s.width; j++) e.push(scale * (z[base + j] + (s.kind === 'gumbel' && g ? g[base + j] : 0)));
        const m = Math.max(...e);
        const ex = e.map((v) => Math.exp(v - m));
        const t = ex.reduce((a, b) => a + b, 0);
        for (let j = 0; j < s.width; j++) y[base + j] = ex[j] / t;
      }
      at += s.width;
    }
  }
  return y;
}

const rows = 5;
const rand = lcg(7);
const z = new Float32Array(rows * DIM).map(() => 3 * (rand() - 0.5));
const g = gumbelNoise(rows * DIM, 11, 3);

test('forward matches the float64 reference, with and without Gumbel noise', () => {
  for (const noise of [undefined, g]) {
    const got = spanForward(z, spans, TAU, noise);
    const want = reference(Float64Array.from(z), noise ? Float64Array.from(noise) : null, rows);
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 2e-6, `value ${i}: ${got[i]} vs ${want[i]}`);
  }
});

test('backward matches central finite differences of the float64 reference', () => {
  const w = new Float32Array(rows * DIM).map(() => rand() - 0.5); // L = Σ w ⊙ y
  const y = spanForward(z, spans, TAU, g);
  const grad = spanBackward(y, w, spans, TAU);
  const z64 = Float64Array.from(z);
  const g64 = Float64Array.from(g);
  const loss = (v: Float64Array) => reference(v, g64, rows).reduce((a, yi, i) => a + w[i] * yi, 0);
  const h = 1e-5;
  let worst = 0;
  for (let i = 0; i < z.length; i++) {
    const up = Float64Array.from(z64);
    const down = Float64Array.from(z64);
    up[i] += h;
    down[i] -= h;
    const fd = (loss(up) - loss(down)) / (2 * h);
    worst = Math.max(worst, Math.abs(fd - grad[i]) / Math.max(1, Math.abs(fd)));
  }
  assert.ok(worst < 1e-4, `worst relative error ${worst}`);
});

test('Gumbel noise: reproducible per (seed, stream), finite, mean ≈ Euler–Mascheroni constant', () => {
  const a = gumbelNoise(200000, 5, 9);
  assert.equal(Array.from(a.subarray(0, 16)), Array.from(gumbelNoise(16, 5, 9)));
  assert.not.equal(Array.from(a.subarray(0, 16)), Array.from(gumbelNoise(16, 5, 10)));
  let sum = 0;
  let sq = 0;
  for (const v of a) {
    assert.ok(Number.isFinite(v));
    sum += v;
    sq += v * v;
  }
  const mean = sum / a.length;
  const variance = sq / a.length - mean * mean;
  assert.ok(Math.abs(mean - 0.5772156649) < 0.01, `mean ${mean}`);
  assert.ok(Math.abs(variance - Math.PI ** 2 / 6) < 0.03, `variance ${variance}`);
});

test('conditional loss: cross-entropy of the conditioned span only, gradient by finite differences', () => {
  // Condition vector: 3 slots for the softmax span (data 2..4), 4 for the gumbel span (data 6..9).
  const links = [
    { conditionStart: 0, dataStart: 2, width: 3 },
    { conditionStart: 3, dataStart: 6, width: 4 },
  ];
  const cond = new Float32Array(rows * 7);
  const picks = [[0, 1], [1, 3], [0, 2], [1, 0], [0, 0]];
  picks.forEach(([link, k], r) => (cond[r * 7 + links[link].conditionStart + k] = 1));
  const { loss, grad } = conditionLoss(z, cond, spans, 7, links, 2);
  const ce = (v: Float64Array) => {
    let total = 0;
    picks.forEach(([link, k], r) => {
      const l = links[link];
      const e = Array.from(v.subarray(r * DIM + l.dataStart, r * DIM + l.dataStart + l.width));
      const m = Math.max(...e);
      const lse = m + Math.log(e.reduce((a, x) => a + Math.exp(x - m), 0));
      total += lse - e[k];
    });
    return total / rows;
  };
  const z64 = Float64Array.from(z);
  assert.ok(Math.abs(loss - ce(z64)) < 1e-5, `loss ${loss} vs ${ce(z64)}`);
  const h = 1e-5;
  for (let i = 0; i < z.length; i++) {
    const up = Float64Array.from(z64);
    const down = Float64Array.from(z64);
    up[i] += h;
    down[i] -= h;
    const fd = (2 * (ce(up) - ce(down))) / (2 * h);
    assert.ok(Math.abs(fd - grad[i]) < 1e-4, `grad ${i}: ${grad[i]} vs ${fd}`);
  }
});

test('bad span layouts and links are rejected with codes', () => {
  const code = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (e) {
      return (e as { code?: string }).code;
    }
    return undefined;
  };
  const base = { dataDim: 4, noiseDim: 2, generator: [{ units: 4, activation: 'relu' as const }], discriminator: [] };
  assert.is(code(() => new Gan({ ...base, outputSpans: [{ kind: 'tanh', width: 3 }] })), 'ERR_RECKIT_DIM_MISMATCH');
  assert.is(code(() => new Gan({ ...base, outputSpans: [{ kind: 'bogus' as 'tanh', width: 4 }] })), 'ERR_RECKIT_INVALID_ARG');
  assert.is(code(() => new Gan({ ...base, outputSpans: [{ kind: 'tanh', width: 4 }], tau: 0 })), 'ERR_RECKIT_OUT_OF_RANGE');
  assert.is(code(() => new Gan({ ...base, outputActivation: 'tanh', outputSpans: [{ kind: 'tanh', width: 4 }] })), 'ERR_RECKIT_INVALID_ARG');
  assert.is(
    code(() => new Gan({ ...base, conditionDim: 2, outputSpans: [{ kind: 'tanh', width: 2 }, { kind: 'softmax', width: 2 }], conditionLinks: [{ conditionStart: 0, dataStart: 0, width: 2 }] })),
    'ERR_RECKIT_INVALID_ARG',
  );
  assert.is(code(() => new Gan({ ...base, pac: 0 })), 'ERR_RECKIT_OUT_OF_RANGE');
  assert.is(code(() => spanForward(new Float32Array(5), [{ kind: 'tanh', width: 2 }])), 'ERR_RECKIT_DIM_MISMATCH');
});

test('a Gan with spans, condition links and pac learns a conditional one-hot and survives save/load', async () => {
  // Data: [tanh scalar, softmax(3)]; the condition asks for the category. The scalar is 0.5 for
  // category 0, -0.5 otherwise.
  const n = 512;
  const data = new Float32Array(n * 4);
  const cond = new Float32Array(n * 3);
  for (let r = 0; r < n; r++) {
    const k = r % 3;
    data[r * 4] = k === 0 ? 0.5 : -0.5;
    data[r * 4 + 1 + k] = 1;
    cond[r * 3 + k] = 1;
  }
  const gan = new Gan({
    dataDim: 4, noiseDim: 4, conditionDim: 3, seed: 3, pac: 4, tau: 0.2,
    generator: [{ units: 32, activation: 'relu' }],
    discriminator: [{ units: 32, activation: 'leaky_relu', alpha: 0.2 }],
    outputSpans: [{ kind: 'tanh', width: 1 }, { kind: 'gumbel', width: 3 }],
    conditionLinks: [{ conditionStart: 0, dataStart: 1, width: 3 }],
  });
  const d = gan.describe();
  assert.is(d.pac, 4);
  assert.equal(d.outputSpans, [{ kind: 'tanh', start: 0, width: 1 }, { kind: 'gumbel', start: 1, width: 3 }]);
  const losses: number[] = [];
  await gan.fit(data, { epochs: 60, batchSize: 64, lr: 2e-3, conditions: cond, onProgress: (p) => losses.push(p.conditionLoss) });
  assert.ok(losses[losses.length - 1] < 0.2 * losses[0], `condition loss ${losses[0]} -> ${losses[losses.length - 1]}`);
  for (let k = 0; k < 3; k++) {
    const c = new Float32Array(3);
    c[k] = 1;
    const out = gan.sample(200, { condition: c, seed: 1 });
    let hits = 0;
    for (let r = 0; r < 200; r++) {
      const row = out.subarray(r * 4 + 1, r * 4 + 4);
      if (row.indexOf(Math.max(...row)) === k) hits++;
      assert.ok(Math.abs(row[0] + row[1] + row[2] - 1) < 1e-5);
    }
    assert.ok(hits >= 190, `category ${k}: ${hits}/200`);
  }
  const copy = Gan.fromBuffer(gan.toBuffer());
  assert.equal(copy.describe().conditionLinks, d.conditionLinks);
  const c = new Float32Array([0, 1, 0]);
  assert.equal(Array.from(copy.sample(32, { condition: c, seed: 9 })), Array.from(gan.sample(32, { condition: c, seed: 9 })));
  assert.is(gan.discriminate(data.subarray(0, 16 * 4), cond.subarray(0, 16 * 3)).length, 4);
  try {
    await gan.fit(data, { epochs: 1, batchSize: 30, conditions: cond });
    assert.unreachable('batchSize not a multiple of pac');
  } catch (e) {
    assert.is((e as { code?: string }).code, 'ERR_RECKIT_OUT_OF_RANGE');
  }
});

test('a file written before spans existed (no outputSpans/tau/conditionLinks/pac) loads as a plain Gan', () => {
  const gan = new Gan({ dataDim: 3, noiseDim: 2, generator: [{ units: 4, activation: 'relu' }], discriminator: [], outputActivation: 'tanh', seed: 2 });
  const content = readSafetensors(gan.toBuffer());
  const config = JSON.parse(content.metadata['gan.config']);
  for (const key of ['outputSpans', 'tau', 'conditionLinks', 'conditionLossWeight', 'pac']) delete config[key];
  const metadata = { ...content.metadata, 'gan.config': JSON.stringify(config) };
  delete metadata['reckit.xxh64'];
  const old = Gan.fromBuffer(writeSafetensors(null, content.tensors, metadata));
  const d = old.describe();
  assert.is(d.pac, 1);
  assert.equal(d.outputSpans, []);
  assert.is(d.outputActivation, 'tanh');
  assert.equal(Array.from(old.sample(4, { seed: 3 })), Array.from(gan.sample(4, { seed: 3 })));
});

test.run();
