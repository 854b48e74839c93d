/**
 * Measures the machine's limits the suites report against: read bandwidth (1 thread and the whole
 * compute pool) and FP32 FMA peak for the active ISA.
 */
import { info } from '../lib/info';
import { native } from '../lib/native';
import type { MachineLimits } from './harness';

export function measureLimits(quick: boolean): MachineLimits {
  const { threads, isa } = info();
  const megabytes = quick ? 64 : 1024;
  const repeats = quick ? 2 : 5;
  const ms = quick ? 100 : 500;
  return {
    threads,
    isa,
    readBandwidthGBs: {
      one: native().probeReadBandwidth(megabytes, 1, repeats) as number,
      all: native().probeReadBandwidth(megabytes, threads, repeats) as number,
    },
    fmaPeakGflops: {
      one: native().probeFmaPeak(isa, 1, ms) as number,
      all: native().probeFmaPeak(isa, threads, ms) as number,
    },
  };
}
