import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { advantage, formatTable } from '../bench/run';
import { barChartSvg } from '../bench/svg';
import type { Measurement } from '../bench/harness';

const base = { case: 'c', threads: 1 } as const;

test('advantage is >1 when reckit is better, whichever way the unit runs', () => {
  const ours: Measurement = { ...base, impl: 'reckit', value: 10, unit: 'ms', better: 'lower' };
  const peer: Measurement = { ...base, impl: 'faiss', value: 25, unit: 'ms', better: 'lower' };
  assert.is(advantage(ours, peer), 2.5);
  const oursQps: Measurement = { ...base, impl: 'reckit', value: 300, unit: 'QPS', better: 'higher' };
  const peerQps: Measurement = { ...base, impl: 'faiss', value: 100, unit: 'QPS', better: 'higher' };
  assert.is(advantage(oursQps, peerQps), 3);
});

test('the table puts each peer next to reckit ratios from the same case and thread count', () => {
  const rows = formatTable([
    { ...base, impl: 'reckit f32', value: 10, unit: 'ms', better: 'lower', ofLimit: 0.5 },
    { ...base, impl: 'faiss', value: 30, unit: 'ms', better: 'lower' },
    { ...base, threads: 2, impl: 'faiss', value: 5, unit: 'ms', better: 'lower' },
  ]);
  assert.match(rows[1], '50%');
  assert.match(rows[2], 'f32 3.00x');
  assert.not.match(rows[3], 'x'); // no reckit row at 2 threads: no ratio
});

test('the SVG chart has one bar per value, scaled to the largest', () => {
  const svg = barChartSvg('t <&>', [{ label: 'a', value: 1 }, { label: 'b', value: 4, group: 'peer' }], 'ms');
  assert.is((svg.match(/<rect /g) ?? []).length, 2);
  assert.match(svg, 't &lt;&amp;&gt;');
  assert.match(svg, 'width="420.0"');
  assert.match(svg, 'width="105.0"');
});

test.run();
