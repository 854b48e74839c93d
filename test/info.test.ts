import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backends, getThreads, info, setThreads } from '../lib/index';
import { assertThrowsCode, runNode } from './helpers';

test('info() describes the build, the CPU path, the pool and CUDA', () => {
  const i = info();
  assert.match(i.version, /^\d+\.\d+\.\d+/);
  assert.is(i.backend, 'cpu');
  assert.ok(i.supportedIsas.includes(i.isa));
  assert.ok(Number.isInteger(i.threads) && i.threads >= 1);
  assert.ok(i.physicalCores >= 1);
  assert.is(i.napiVersion, 8);
  assert.type(i.cuda.available, 'boolean');
  if (!i.cuda.available) {
    assert.type(i.cuda.reason, 'string');
    assert.ok(i.cuda.reason!.length > 10);
    assert.is(i.cuda.devices, 0);
  }
});

test('backends() lists cpu (always available) and cuda with its reason', () => {
  const list = backends();
  assert.equal(list.map((b) => b.name), ['cpu', 'cuda']);
  assert.is(list[0].available, true);
  assert.is(list[1].available, info().cuda.available);
  assert.is(list[1].reason, info().cuda.reason);
});

test('setThreads resizes the pool, 0 restores the default, bad counts are rejected', () => {
  const initial = getThreads();
  try {
    assert.is(setThreads(3), 3);
    assert.is(info().threads, 3);
    assert.is(setThreads(1), 1);
    assert.is(setThreads(0), initial);
    assertThrowsCode(() => setThreads(-1), 'ERR_RECKIT_OUT_OF_RANGE', RangeError);
    assertThrowsCode(() => setThreads(2.5), 'ERR_RECKIT_OUT_OF_RANGE', RangeError);
    assertThrowsCode(() => setThreads(100000), 'ERR_RECKIT_OUT_OF_RANGE', RangeError);
    assertThrowsCode(() => setThreads('2' as unknown as number), 'ERR_RECKIT_INVALID_ARG', TypeError);
  } finally {
    setThreads(initial);
  }
});

test('RECKIT_THREADS sets the default pool size; nonsense values are ignored', () => {
  const code = "console.log(require('./dist/lib/index.js').info().threads)";
  assert.is(runNode(code, { RECKIT_THREADS: '3' }).trim(), '3');
  assert.is(runNode(code, { RECKIT_THREADS: 'lots' }).trim(), String(info().physicalCores));
});

test.run();
