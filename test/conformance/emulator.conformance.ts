// The CUDA emulator checks itself (barriers, shared memory, shuffles, atomics, launch errors) and reports
// a barrier that cannot complete instead of hanging. Only meaningful for the emulated build.
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requireCudaBackend } from './cuda-backend';

const { backend } = requireCudaBackend();
const selftest = process.env.RECKIT_CUDA_EMU_SELFTEST;

if (backend === 'emulated') {
  test('emulator self-test: every check passes', () => {
    assert.ok(selftest, 'RECKIT_CUDA_EMU_SELFTEST names the self-test binary');
    const run = spawnSync(selftest!, [], { encoding: 'utf8' });
    const lines = run.stdout.trim().split('\n');
    const failed = lines.filter((l) => l.startsWith('FAIL'));
    assert.equal(failed, [], run.stdout);
    assert.ok(lines.filter((l) => l.startsWith('ok ')).length >= 10, run.stdout);
    assert.is(run.status, 0);
  });

  test('emulator: a __syncthreads not reached by every live thread is reported as a deadlock', () => {
    const run = spawnSync(selftest!, ['deadlock'], { encoding: 'utf8' });
    assert.is.not(run.status, 0);
    assert.match(run.stderr, /deadlock in block \(0,0,0\)/);
    assert.not.match(run.stdout, /no deadlock reported/);
  });
}

test('info() names the loaded CUDA backend and its device', () => {
  const { backend: b, device } = requireCudaBackend();
  assert.ok(b === 'cuda' || b === 'emulated', b);
  assert.ok(device.length > 0);
});

test.run();
