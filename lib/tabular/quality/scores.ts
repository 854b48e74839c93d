/**
 * Classifier scores and seeded splits the detection and efficacy metrics share: ROC AUC (rank form,
 * ties averaged), binary F1, and stratified folds shuffled by Philox so a seed reproduces a report.
 */
import { uniform } from '../../random';

/** ROC AUC of `scores` for binary `labels` (Mann–Whitney U with average ranks for ties); NaN if one class is absent. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]]) {
        pos++;
        rankSum += rank;
      }
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** F1 of predictions against truth for the positive class 1 (0 when there are no true or predicted positives). */
export function f1Score(predicted: ArrayLike<number>, truth: ArrayLike<number>): number {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < truth.length; i++) {
    if (predicted[i] && truth[i]) tp++;
    else if (predicted[i]) fp++;
    else if (truth[i]) fn++;
  }
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}

/** A seeded permutation of 0..n−1 (Philox keys, sorted). */
export function permutation(n: number, seed: number, stream: number): Int32Array {
  const keys = uniform(n, { seed, stream });
  return Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => keys[a] - keys[b] || a - b);
}

/** Fold number per row: each class is shuffled and dealt round-robin into k folds. */
export function stratifiedFolds(labels: ArrayLike<number>, k: number, seed: number): Int32Array {
  const fold = new Int32Array(labels.length);
  for (const cls of [0, 1]) {
    const members: number[] = [];
    for (let i = 0; i < labels.length; i++) if ((labels[i] ? 1 : 0) === cls) members.push(i);
    const perm = permutation(members.length, seed, 0x464f4c44 + cls);
    perm.forEach((p, j) => {
      fold[members[p]] = j % k;
    });
  }
  return fold;
}
