/**
 * Suite `machine`: the limits every other suite is judged against, plus our vector kernels per ISA
 * against them (a dot product streaming a large vector should run at read bandwidth).
 */
import { info } from '../../lib/info';
import { dot } from '../../lib/ops';
import { benchData, type Measurement, type Suite, timeSync } from '../harness';

export const machineSuite: Suite = {
  name: 'machine',
  description: 'read bandwidth, FMA peak, and the dot kernel per ISA against them',
  async run(ctx) {
    const { limits } = ctx;
    const out: Measurement[] = [
      { case: 'read bandwidth', impl: 'machine', threads: 1, value: limits.readBandwidthGBs.one, unit: 'GB/s', better: 'higher' },
      { case: 'read bandwidth', impl: 'machine', threads: limits.threads, value: limits.readBandwidthGBs.all, unit: 'GB/s', better: 'higher' },
      { case: `FP32 FMA peak (${limits.isa})`, impl: 'machine', threads: 1, value: limits.fmaPeakGflops.one, unit: 'GFLOP/s', better: 'higher' },
      { case: `FP32 FMA peak (${limits.isa})`, impl: 'machine', threads: limits.threads, value: limits.fmaPeakGflops.all, unit: 'GFLOP/s', better: 'higher' },
    ];
    const n = ctx.quick ? 1 << 20 : 1 << 26; // 256 MiB per vector in full runs: far beyond the caches
    const a = benchData(n, 1);
    const b = benchData(n, 2);
    for (const isa of info().supportedIsas) {
      const t = timeSync(() => dot(a, b, { isa }), { minRuns: 3, minSeconds: ctx.quick ? 0.05 : 0.5 });
      const gbs = (2 * n * 4) / (t.medianMs / 1000) / 1e9;
      out.push({
        case: 'dot f32 (2 streams, 1 thread)',
        impl: `reckit ${isa}`,
        threads: 1,
        value: gbs,
        unit: 'GB/s',
        better: 'higher',
        ofLimit: gbs / limits.readBandwidthGBs.one,
      });
    }
    return out;
  },
};
