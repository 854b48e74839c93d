/**
 * The detection score (SDMetrics' LogisticDetection): can a classifier tell real rows from synthetic
 * ones? Real and synthetic rows are stacked and labelled, a logistic regression is cross-validated
 * over stratified folds, and each fold gives 2·max(AUC, 0.5) − 1; the score is 1 − their mean.
 * 1: indistinguishable; 0: perfectly separable.
 */
import { invalidArg } from '../../errors';
import { fitLogistic, FeatureEncoder, predictLogistic, stackDesigns } from '../logistic';
import type { Table } from '../table';
import { rocAuc, stratifiedFolds } from './scores';

export interface DetectionOptions {
  folds?: number;
  seed?: number;
  l2?: number;
}

export interface DetectionResult {
  score: number;
  /** AUC of each fold. */
  auc: number[];
}

export function detectionScore(real: Table, synthetic: Table, options: DetectionOptions = {}): DetectionResult {
  const k = options.folds ?? 3;
  if (!Number.isInteger(k) || k < 2) throw invalidArg('folds must be an integer ≥ 2');
  if (real.rows < k || synthetic.rows < k) throw invalidArg(`detection needs at least ${k} real and ${k} synthetic rows`);
  // One feature map over both tables, so a level only one side produces is a feature like any other.
  const both = { rows: real.rows + synthetic.rows, columns: real.columns.map((c, i) => stack(c, synthetic.columns[i])) };
  const encoder = FeatureEncoder.fit(both);
  const design = stackDesigns(encoder.encode(real), encoder.encode(synthetic));
  const y = new Uint8Array(design.rows);
  y.fill(1, real.rows);
  const fold = stratifiedFolds(y, k, options.seed ?? 0);
  const auc: number[] = [];
  for (let f = 0; f < k; f++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < design.rows; i++) (fold[i] === f ? test : train).push(i);
    const testIdx = Int32Array.from(test);
    const w = fitLogistic(design, y, Int32Array.from(train), { l2: options.l2 });
    const p = predictLogistic(design, w, testIdx);
    auc.push(rocAuc(p, Array.from(testIdx, (i) => y[i])));
  }
  const mean = auc.reduce((s, a) => s + (2 * Math.max(a, 0.5) - 1), 0) / k;
  return { score: 1 - mean, auc };
}

function stack(a: Table['columns'][number], b: Table['columns'][number]): Table['columns'][number] {
  if (a.kind === 'continuous' && b.kind === 'continuous') {
    const values = new Float64Array(a.values.length + b.values.length);
    values.set(a.values);
    values.set(b.values, a.values.length);
    return { ...a, values };
  }
  if (a.kind === 'categorical' && b.kind === 'categorical') return { ...a, values: [...a.values, ...b.values] };
  throw invalidArg(`column '${a.name}': kinds differ between the tables`);
}
