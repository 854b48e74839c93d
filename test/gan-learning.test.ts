// Gan learning tests with fixed seeds whose bounds an untrained or collapsed generator cannot meet:
// a ring of 8 Gaussians (mode coverage and mass near the modes) and a correlated 5-D Gaussian (per-
// column KS distance to the true marginals and correlation error).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Gan, random } from '../lib/index';

const MODES = 8, RADIUS = 2, SIGMA = 0.05;

function ringData(rows: number): Float32Array {
  const pick = random.bits(rows, { seed: 1 }), noise = random.normal(rows * 2, { seed: 2 });
  const data = new Float32Array(rows * 2);
  for (let r = 0; r < rows; r++) {
    const a = (2 * Math.PI * (pick[r] % MODES)) / MODES;
    data[2 * r] = RADIUS * Math.cos(a) + SIGMA * noise[2 * r];
    data[2 * r + 1] = RADIUS * Math.sin(a) + SIGMA * noise[2 * r + 1];
  }
  return data;
}

/** Samples within 3σ of their nearest mode, per mode, and the fraction of all samples that are. */
function ringQuality(s: Float32Array): { perMode: number[]; near: number } {
  const n = s.length / 2, perMode = new Array(MODES).fill(0);
  let near = 0;
  for (let r = 0; r < n; r++) {
    for (let m = 0; m < MODES; m++) {
      const a = (2 * Math.PI * m) / MODES;
      if (Math.hypot(s[2 * r] - RADIUS * Math.cos(a), s[2 * r + 1] - RADIUS * Math.sin(a)) < 3 * SIGMA) {
        perMode[m]++;
        near++;
      }
    }
  }
  return { perMode, near: near / n };
}

const hidden = (units: number, activation: 'relu' | 'leaky_relu') => [
  { units, activation, alpha: 0.2 },
  { units, activation, alpha: 0.2 },
];

test('ring of 8 Gaussians: samples cover >= 7 modes with most mass within 3 sigma of a mode', async () => {
  const gan = new Gan({ dataDim: 2, noiseDim: 8, generator: hidden(64, 'relu'), discriminator: hidden(64, 'leaky_relu'), seed: 1 });
  const before = ringQuality(gan.sample(2000, { seed: 5 }));
  assert.ok(before.near < 0.05, `untrained generator already near the modes: ${before.near}`);
  await gan.fit(ringData(2048), { epochs: 300, batchSize: 64, lr: 1e-3, betas: [0.5, 0.999] });
  const q = ringQuality(gan.sample(2000, { seed: 5 }));
  const covered = q.perMode.filter((c) => c >= 0.02 * 2000).length;
  assert.ok(covered >= 7, `modes covered: ${covered} (${q.perMode.join(',')})`);
  assert.ok(q.near >= 0.6, `mass within 3 sigma: ${q.near}`);
});

// x = mu + diag(scale)·L·z with z standard normal: columns with different means, scales and correlations.
const D = 5;
const L = [[1, 0, 0, 0, 0], [0.8, 0.6, 0, 0, 0], [-0.5, 0.3, 0.81, 0, 0], [0.2, -0.4, 0.1, 0.87, 0], [0, 0.5, 0.5, 0.2, 0.68]];
const MU = [1, -0.5, 0, 2, 0.3], SCALE = [1, 0.5, 2, 1, 0.8];
const COV = L.map((a) => L.map((b) => a.reduce((s, v, k) => s + v * b[k], 0)));
const TRUE_SD = COV.map((row, i) => SCALE[i] * Math.sqrt(row[i]));
const TRUE_CORR = COV.map((row, i) => row.map((v, j) => v / Math.sqrt(COV[i][i] * COV[j][j])));

function gaussianData(rows: number, seed: number): Float32Array {
  const z = random.normal(rows * D, { seed });
  const x = new Float32Array(rows * D);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < D; i++) {
      let s = 0;
      for (let k = 0; k <= i; k++) s += L[i][k] * z[r * D + k];
      x[r * D + i] = MU[i] + SCALE[i] * s;
    }
  }
  return x;
}

function erf(x: number): number {
  // Abramowitz-Stegun 7.1.26 (|error| < 1.5e-7), plenty for a KS statistic.
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

/** Largest per-column KS distance to the true normal marginal, and largest correlation error. */
function gaussianQuality(s: Float32Array): { ks: number; corr: number } {
  const n = s.length / D;
  let ks = 0;
  for (let i = 0; i < D; i++) {
    const col = Array.from({ length: n }, (_, r) => s[r * D + i]).sort((a, b) => a - b);
    col.forEach((v, k) => {
      const F = 0.5 * (1 + erf((v - MU[i]) / (TRUE_SD[i] * Math.SQRT2)));
      ks = Math.max(ks, Math.abs(F - k / n), Math.abs(F - (k + 1) / n));
    });
  }
  const mean = new Array(D).fill(0);
  for (let r = 0; r < n; r++) for (let i = 0; i < D; i++) mean[i] += s[r * D + i] / n;
  const c = Array.from({ length: D }, () => new Array(D).fill(0));
  for (let r = 0; r < n; r++) for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) c[i][j] += (s[r * D + i] - mean[i]) * (s[r * D + j] - mean[j]);
  let corr = 0;
  for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) corr = Math.max(corr, Math.abs(c[i][j] / Math.sqrt(c[i][i] * c[j][j]) - TRUE_CORR[i][j]));
  return { ks, corr };
}

test('correlated 5-D Gaussian: per-column KS < 0.12 and correlation error < 0.2', async () => {
  const rows = 4096;
  const raw = gaussianData(rows, 11);
  // Standardize columns (as one would before training) and map samples back.
  const m = new Array(D).fill(0), sd = new Array(D).fill(0);
  for (let r = 0; r < rows; r++) for (let i = 0; i < D; i++) m[i] += raw[r * D + i] / rows;
  for (let r = 0; r < rows; r++) for (let i = 0; i < D; i++) sd[i] += (raw[r * D + i] - m[i]) ** 2 / rows;
  for (let i = 0; i < D; i++) sd[i] = Math.sqrt(sd[i]);
  const data = raw.map((v, k) => (v - m[k % D]) / sd[k % D]);
  const back = (s: Float32Array): Float32Array => s.map((v, k) => v * sd[k % D] + m[k % D]);
  const reference = gaussianQuality(gaussianData(4000, 12));
  assert.ok(reference.ks < 0.03 && reference.corr < 0.05, 'the metrics accept real draws');
  const gan = new Gan({ dataDim: D, noiseDim: 8, generator: hidden(64, 'relu'), discriminator: hidden(64, 'leaky_relu'), seed: 2 });
  const before = gaussianQuality(back(gan.sample(4000, { seed: 3 })));
  assert.ok(before.ks > 0.2 && before.corr > 0.4, `untrained generator: ${JSON.stringify(before)}`);
  await gan.fit(data, { epochs: 400, batchSize: 64, lr: 1e-4, betas: [0.5, 0.999] });
  const q = gaussianQuality(back(gan.sample(4000, { seed: 3 })));
  assert.ok(q.ks < 0.12, `max per-column KS ${q.ks}`);
  assert.ok(q.corr < 0.2, `max correlation error ${q.corr}`);
});

test.run();
