import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isReckitError, ops } from '../lib/index';
import { native } from '../lib/native';
import { assertThrowsCode } from './helpers';

test('wrong types are TypeErrors with ERR_RECKIT_INVALID_ARG in the TS layer', () => {
  assertThrowsCode(() => ops.dot([1, 2] as unknown as Float32Array, new Float32Array(2)), 'ERR_RECKIT_INVALID_ARG', TypeError);
  assertThrowsCode(() => ops.dot(new Float64Array(2) as unknown as Float32Array, new Float32Array(2)), 'ERR_RECKIT_INVALID_ARG', TypeError);
  assertThrowsCode(() => ops.norm(new Float32Array(2), { isa: 'mmx' as 'avx2' }), 'ERR_RECKIT_INVALID_ARG', TypeError);
  assertThrowsCode(() => ops.norm(new Float32Array(2), 'avx2' as unknown as object), 'ERR_RECKIT_INVALID_ARG', TypeError);
});

test('the native layer checks the same things itself (defence in depth)', () => {
  assertThrowsCode(() => native().dot([1], new Float32Array(1)), 'ERR_RECKIT_INVALID_ARG', TypeError);
  assertThrowsCode(() => native().dot(new Float32Array(2), new Float32Array(3)), 'ERR_RECKIT_DIM_MISMATCH', RangeError);
  assertThrowsCode(() => native().setThreads(NaN), 'ERR_RECKIT_OUT_OF_RANGE', RangeError);
  assertThrowsCode(() => native().randomFill('gamma', 1, 0, 0, 0, 1), 'ERR_RECKIT_INVALID_ARG', TypeError);
});

test('mismatched lengths are RangeErrors with ERR_RECKIT_DIM_MISMATCH', () => {
  assertThrowsCode(() => ops.dot(new Float32Array(3), new Float32Array(4)), 'ERR_RECKIT_DIM_MISMATCH', RangeError);
  assertThrowsCode(() => ops.l2Squared(new Float32Array(0), new Float32Array(1)), 'ERR_RECKIT_DIM_MISMATCH', RangeError);
});

test('NaN and Inf inputs are RangeErrors that name the first bad element', () => {
  const a = new Float32Array([1, 2, NaN, 4]);
  const b = new Float32Array([1, Infinity, 1, 1]);
  assertThrowsCode(() => ops.dot(a, new Float32Array(4)), 'ERR_RECKIT_OUT_OF_RANGE', RangeError);
  assert.match(assertThrowsCode(() => ops.dot(new Float32Array(4), b), 'ERR_RECKIT_OUT_OF_RANGE').message, 'b[1] is infinite');
  assert.match(assertThrowsCode(() => ops.norm(a), 'ERR_RECKIT_OUT_OF_RANGE').message, 'a[2] is NaN');
});

test('isReckitError recognises reckit errors and their codes', () => {
  const error = assertThrowsCode(() => ops.dot(new Float32Array(1), new Float32Array(2)), 'ERR_RECKIT_DIM_MISMATCH');
  assert.ok(isReckitError(error));
  assert.ok(isReckitError(error, 'ERR_RECKIT_DIM_MISMATCH'));
  assert.not.ok(isReckitError(error, 'ERR_RECKIT_IO'));
  assert.not.ok(isReckitError(new Error('x')));
  assert.not.ok(isReckitError('ERR_RECKIT_IO'));
});

test.run();
