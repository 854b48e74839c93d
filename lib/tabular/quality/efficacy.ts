/**
 * Machine-learning efficacy: does a model trained on synthetic rows predict real outcomes as well as
 * one trained on real rows? Train-on-synthetic-test-on-real (TSTR) against train-on-real-test-on-real
 * (TRTR) with the same classifier (L2 logistic regression) and the same real test rows, scored by F1
 * of the positive class of a binary target.
 */
import { invalidArg } from '../../errors';
import { FeatureEncoder, fitLogistic, predictLogistic } from '../logistic';
import { type Column, getColumn, selectRows, type Table } from '../table';
import { f1Score, permutation } from './scores';

export interface EfficacyOptions {
  target: string;
  /** The positive class (default: the rarer class of the real target). */
  positive?: string;
  /** Real rows to test on. Default: a seeded 30% holdout of `real` (TRTR then trains on the other 70%). */
  realTest?: Table;
  seed?: number;
  l2?: number;
}

export interface EfficacyResult {
  target: string;
  positive: string;
  /** F1 on real test rows of the model trained on synthetic rows. */
  tstrF1: number;
  /** F1 on the same rows of the model trained on real rows. */
  trtrF1: number;
  /** tstrF1 / trtrF1 (1 = as useful as the real data). */
  ratio: number;
  testRows: number;
}

export const HOLDOUT_FRACTION = 0.3;

function labelsOf(column: Column): (string | null)[] {
  if (column.kind === 'categorical') return column.values;
  return Array.from(column.values, (v) => (Number.isNaN(v) ? null : String(v)));
}

/** The binary target's positive class: given, or the rarer of the two real classes. */
function positiveClass(real: (string | null)[], name: string, given?: string): string {
  const counts = new Map<string, number>();
  for (const v of real) if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
  if (given !== undefined) {
    if (!counts.has(given)) throw invalidArg(`target '${name}' has no class '${given}' in the real data`);
    if (counts.size !== 2) throw invalidArg(`target '${name}' must have exactly 2 classes in the real data (has ${counts.size})`);
    return given;
  }
  if (counts.size !== 2) throw invalidArg(`target '${name}' must have exactly 2 classes in the real data (has ${counts.size})`);
  const [[a, ca], [b, cb]] = [...counts];
  return cb < ca ? b : a;
}

function trainPredict(train: Table, test: Table, target: string, positive: string, l2?: number): Uint8Array {
  const yTrain = Uint8Array.from(labelsOf(getColumn(train, target)), (v) => (v === positive ? 1 : 0));
  let ones = 0;
  for (const v of yTrain) ones += v;
  if (ones === 0 || ones === yTrain.length) return new Uint8Array(test.rows).fill(ones ? 1 : 0); // one class: no boundary to learn
  const encoder = FeatureEncoder.fit(train, target);
  const w = fitLogistic(encoder.encode(train), yTrain, Int32Array.from({ length: train.rows }, (_, i) => i), { l2 });
  const p = predictLogistic(encoder.encode(test), w);
  return Uint8Array.from(p, (x) => (x >= 0.5 ? 1 : 0));
}

export function efficacy(real: Table, synthetic: Table, options: EfficacyOptions): EfficacyResult {
  const { target } = options;
  const realLabels = labelsOf(getColumn(real, target));
  getColumn(synthetic, target);
  const positive = positiveClass(realLabels, target, options.positive);
  let trainReal: Table;
  let test: Table;
  if (options.realTest) {
    trainReal = real;
    test = options.realTest;
  } else {
    const perm = permutation(real.rows, options.seed ?? 0, 0x45464649);
    const cut = Math.round(real.rows * HOLDOUT_FRACTION);
    if (cut < 1 || cut >= real.rows) throw invalidArg('efficacy needs enough real rows to hold some out for testing');
    test = selectRows(real, perm.subarray(0, cut));
    trainReal = selectRows(real, perm.subarray(cut));
  }
  const truth = Uint8Array.from(labelsOf(getColumn(test, target)), (v) => (v === positive ? 1 : 0));
  const tstrF1 = f1Score(trainPredict(synthetic, test, target, positive, options.l2), truth);
  const trtrF1 = f1Score(trainPredict(trainReal, test, target, positive, options.l2), truth);
  return { target, positive, tstrF1, trtrF1, ratio: trtrF1 > 0 ? tstrF1 / trtrF1 : NaN, testRows: test.rows };
}
