// TableEncoder.inverse with snapSpikes: a point-mass mode (many exact zeros) decodes to its mean
// whatever the offset, other modes decode as usual, and the default inverse stays exact.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TableEncoder, tabular } from '../lib/index';

test('spike modes snap to their mean only when asked', () => {
  // 70 % exact zeros, the rest spread over 1000..50000 (an integer column like capital-gain).
  const values: number[] = [];
  for (let i = 0; i < 2000; i++) values.push(i % 10 < 7 ? 0 : 1000 + ((i * 7919) % 49000));
  const table = tabular.tableFromColumns({ gain: values });
  const enc = TableEncoder.fit(table, { gmm: { seed: 1 } });
  const col = enc.columns[0];
  assert.is(col.kind, 'continuous');
  if (col.kind !== 'continuous' || col.scaler.method !== 'mode') throw new Error('expected a mode column');
  const gmm = col.scaler.gmm;
  const spike = gmm.means.findIndex((m, k) => Math.abs(m) < 1 && gmm.stds[k] <= 1e-3 * (col.max - col.min));
  assert.ok(spike >= 0, `a spike mode at 0: means ${gmm.means}, stds ${gmm.stds}`);
  const wide = gmm.stds.findIndex((s) => s > 1e-3 * (col.max - col.min));
  assert.ok(wide >= 0);

  // Two generated rows: offset 0.4 in the spike mode, offset 0.1 in a wide mode.
  const [value, mode] = enc.spansOf('gain');
  const data = new Float32Array(2 * enc.width);
  data[value.start] = 0.4;
  data[mode.start + spike] = 1;
  data[enc.width + value.start] = 0.1;
  data[enc.width + mode.start + wide] = 1;
  const snapped = enc.inverse(data, 2, { snapSpikes: true }).columns[0].values as Float64Array;
  const plain = enc.inverse(data, 2).columns[0].values as Float64Array;
  assert.is(snapped[0], Math.round(gmm.means[spike]));
  assert.is(plain[0], Math.round(gmm.means[spike] + 0.4 * 4 * gmm.stds[spike]));
  assert.ok(plain[0] !== snapped[0], 'without snapping the offset moves the value off the spike');
  assert.is(snapped[1], plain[1]);
  assert.is(snapped[1], Math.min(col.max, Math.max(col.min, Math.round(gmm.means[wide] + 0.1 * 4 * gmm.stds[wide]))));

  // Round trip of the real values is exact with either setting.
  const encoded = enc.transform(table);
  assert.equal(Array.from(enc.inverse(encoded, undefined, { snapSpikes: true }).columns[0].values as Float64Array), values);
  assert.equal(Array.from(enc.inverse(encoded).columns[0].values as Float64Array), values);
});

test.run();
