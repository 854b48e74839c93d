// The fused sparse optimizer steps on the CUDA backend against the CPU EmbeddingTable.step: three steps in a
// row (so Adagrad sums, Adam moments and per-row step counts carry over), repeated rows, sum and mean bags with
// weights, weight decay; the whole table within 1e-5 relative + 1e-6 absolute, rows touched equal.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EmbeddingTable } from '../../lib/index';
import type { SparseOptimizerKind } from '../../lib/embedding-table';
import { seededFloats } from '../helpers';
import { assertAllClose, cuda, requireCudaBackend } from './cuda-backend';

requireCudaBackend();

const OPTIMIZERS: SparseOptimizerKind[] = ['sgd', 'adagrad', 'adam'];
const ROWS = 40;
const DIM = 131;  // a tail past the 128-dim block

// Three batches: the second repeats rows of the first, the third has an empty bag and a plain lookup shape.
const BATCHES: { ids: number[]; offsets: number[] | null; mode: 'sum' | 'mean'; weighted: boolean }[] = [
  { ids: [3, 7, 3, 39, 0, 7], offsets: [0, 2, 2, 5], mode: 'sum', weighted: true },
  { ids: [7, 7, 7, 12, 3], offsets: [0, 3], mode: 'mean', weighted: false },
  { ids: [5, 0, 39, 5], offsets: null, mode: 'sum', weighted: false },
];

for (const optimizer of OPTIMIZERS) {
  for (const weightDecay of [0, 0.01]) {
    test(`embedding step ${optimizer} weightDecay=${weightDecay}: three steps, the whole table matches the CPU`, () => {
      const data = seededFloats(ROWS * DIM, 17);
      const table = EmbeddingTable.fromArray(ROWS, DIM, data, { device: 'cpu' });
      const gpuTable = data.slice();
      const stateA = optimizer === 'sgd' ? null : new Float32Array(ROWS * DIM);
      const stateB = optimizer === 'adam' ? new Float32Array(ROWS * DIM) : null;
      const steps = optimizer === 'adam' ? new Uint32Array(ROWS) : null;
      const eps = optimizer === 'adagrad' ? 1e-10 : 1e-8;
      const hyper = { lr: 0.05, weightDecay, eps, beta1: 0.9, beta2: 0.999 };
      BATCHES.forEach((batch, i) => {
        const ids = Uint32Array.from(batch.ids);
        const offsets = batch.offsets ? Uint32Array.from(batch.offsets) : null;
        const bags = offsets ? offsets.length : ids.length;
        const gradOut = seededFloats(bags * DIM, 100 + i);
        const weights = batch.weighted ? seededFloats(ids.length, 200 + i) : null;
        const cpu = table.step(ids, offsets, gradOut, { optimizer, ...hyper, mode: batch.mode, ...(weights ? { weights } : {}) });
        const touched = cuda.embeddingStep(gpuTable, ROWS, DIM, stateA, stateB, steps, OPTIMIZERS.indexOf(optimizer), hyper,
          ids, offsets, weights, batch.mode === 'sum' ? 0 : 1, gradOut);
        assert.is(touched, cpu.rowsTouched, `step ${i}: rows touched`);
        assertAllClose(gpuTable, table.data(), 1e-5, 1e-6, `table after step ${i}`);
      });
      table.dispose();
    });
  }
}

test.run();
