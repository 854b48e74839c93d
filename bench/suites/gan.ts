/**
 * Suite `gan`: the anchor GAN training step (data 64, noise 128, G 128→256→256→64 relu/relu/tanh,
 * D 64→256→256→1 leaky_relu 0.2, Adam 2e-4 (0.5, 0.999), batch 256; one step = one D update on real +
 * fake and one G update) in ms/step, reckit against PyTorch CPU (Debian python3-torch, best of its
 * thread settings, median over several processes) and @tensorflow/tfjs (cpu and wasm backends). With
 * `--device cuda`, the same step on the device Gan (new Gan({ device: 'cuda' })) in the same run.
 */
import { Gan, getThreads, info, setThreads } from '../../lib/index';
import { benchData, describeBlas, PY_BLAS_LIBS, runPython, type Measurement, type Suite, type SuiteContext, timeAsync, tryRequire } from '../harness';

const DATA = 64, NOISE = 128, HIDDEN = 256, BATCH = 256;

/** FLOPs of one step: G forward; D forward+backward on 2B rows; G and D forward+backward on B rows. */
export function anchorStepFlops(): number {
  const g = NOISE * HIDDEN + HIDDEN * HIDDEN + HIDDEN * DATA;
  const d = DATA * HIDDEN + HIDDEN * HIDDEN + HIDDEN;
  const macs = BATCH * g + 2 * BATCH * d * 3 + BATCH * g * 3 + BATCH * d * 3 - BATCH * g;
  return 2 * macs;
}

function anchorGan(device: 'cpu' | 'cuda'): Gan {
  return new Gan({
    dataDim: DATA,
    noiseDim: NOISE,
    generator: [{ units: HIDDEN, activation: 'relu' }, { units: HIDDEN, activation: 'relu' }],
    discriminator: [{ units: HIDDEN, activation: 'leaky_relu', alpha: 0.2 }, { units: HIDDEN, activation: 'leaky_relu', alpha: 0.2 }],
    outputActivation: 'tanh',
    seed: 1,
    device,
  });
}

const CASE = 'anchor GAN training step (batch 256)';

async function measureReckit(ctx: SuiteContext, threads: number, flops: number): Promise<Measurement> {
  const previous = getThreads();
  setThreads(threads);
  try {
    const gan = anchorGan('cpu');
    // One batch of rows: every epoch is exactly one step.
    const data = benchData(BATCH * DATA, 7);
    const steps = ctx.quick ? 5 : 50;
    const fit = () => gan.fit(data, { epochs: steps, batchSize: BATCH, lr: 2e-4, betas: [0.5, 0.999] });
    const t = await timeAsync(fit, { minRuns: ctx.quick ? 2 : 7, minSeconds: ctx.quick ? 0.1 : 2, warmup: 1 });
    const ms = t.medianMs / steps;
    const gflops = flops / (ms / 1000) / 1e9;
    const peak = threads === 1 ? ctx.limits.fmaPeakGflops.one : ctx.limits.fmaPeakGflops.all;
    gan.dispose();
    return { case: CASE, impl: 'reckit', threads, value: ms, unit: 'ms/step', better: 'lower', ofLimit: gflops / peak, extra: { gflops: Number(gflops.toFixed(1)) } };
  } finally {
    setThreads(previous);
  }
}

// The same step on the device Gan: a fit of `steps` epochs of one batch each (the parameters come back after each
// epoch, as in any device fit: included in the time). The emulated library runs kernels on CPU threads one block at
// a time: timed at --quick only, as a check that the path works.
async function measureDevice(ctx: SuiteContext, flops: number): Promise<Measurement | null> {
  const cuda = info().cuda;
  if (cuda.backend === 'emulated' && !ctx.quick) {
    ctx.note('--device cuda: the loaded CUDA library is the emulated test build; the device case needs --quick with it (not a GPU speed)');
    return null;
  }
  const emulated = cuda.backend === 'emulated';
  const gan = anchorGan('cuda');
  try {
    const data = benchData(BATCH * DATA, 7);
    const steps = ctx.quick ? 2 : 50;
    const fit = () => gan.fit(data, { epochs: steps, batchSize: BATCH, lr: 2e-4, betas: [0.5, 0.999] });
    const t = await timeAsync(fit, { minRuns: ctx.quick ? 1 : 7, minSeconds: ctx.quick ? 0 : 2, warmup: emulated ? 0 : 1 });
    const ms = t.medianMs / steps;
    ctx.note(`reckit cuda: ${cuda.device}; per step the batch and its noise go up, the loss sums come down; the networks come back after every epoch (here every step)`);
    return {
      case: CASE,
      impl: `reckit cuda${emulated ? ' (emulated, not a GPU speed)' : ''}`,
      threads: 1,
      value: ms,
      unit: 'ms/step',
      better: 'lower',
      extra: { gflops: Number((flops / (ms / 1000) / 1e9).toFixed(1)) },
    };
  } finally {
    gan.dispose();
  }
}

const TORCH_SCRIPT = (steps: number, runs: number, torchThreads: number) => `
import json, time, statistics, torch
from torch import nn
torch.set_num_threads(${torchThreads})
torch.manual_seed(0)
G = nn.Sequential(nn.Linear(${NOISE}, ${HIDDEN}), nn.ReLU(), nn.Linear(${HIDDEN}, ${HIDDEN}), nn.ReLU(), nn.Linear(${HIDDEN}, ${DATA}), nn.Tanh())
D = nn.Sequential(nn.Linear(${DATA}, ${HIDDEN}), nn.LeakyReLU(0.2), nn.Linear(${HIDDEN}, ${HIDDEN}), nn.LeakyReLU(0.2), nn.Linear(${HIDDEN}, 1))
oG = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
oD = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
bce = nn.BCEWithLogitsLoss()
real = torch.rand(${BATCH}, ${DATA}) * 2 - 1
ones, zeros = torch.ones(${BATCH}, 1), torch.zeros(${BATCH}, 1)
def step():
    fake = G(torch.randn(${BATCH}, ${NOISE}))
    oD.zero_grad(set_to_none=True)
    (bce(D(real), ones) + bce(D(fake.detach()), zeros)).backward()
    oD.step()
    oG.zero_grad(set_to_none=True)
    bce(D(fake), ones).backward()
    oG.step()
for _ in range(10): step()
times = []
for _ in range(${runs}):
    t0 = time.perf_counter()
    for _ in range(${steps}): step()
    times.append((time.perf_counter() - t0) * 1000 / ${steps})
a, b = torch.randn(256, 256), torch.randn(256, 256)
t0 = time.perf_counter()
for _ in range(20): a @ b
blas = 2 * 256 ** 3 * 20 / (time.perf_counter() - t0) / 1e9
${PY_BLAS_LIBS}
print(json.dumps({"ms": statistics.median(times), "torch": torch.__version__, "matmulGflops": blas, "blas": blas_libs}))
`;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

// Thread settings PyTorch is tried with: torch intra-op threads × OpenBLAS threads.
function torchSettings(threads: number): { torch: number; blas: number }[] {
  if (threads === 1) return [{ torch: 1, blas: 1 }];
  return [{ torch: threads, blas: 1 }, { torch: 1, blas: threads }, { torch: threads, blas: threads }];
}

let blasNoted = false;

async function measureTorch(ctx: SuiteContext, threads: number): Promise<Measurement | null> {
  const processes = ctx.quick ? 1 : 3;
  let best: { ms: number; setting: string } | null = null;
  let version = '';
  for (const s of torchSettings(threads)) {
    const perProcess: number[] = [];
    for (let p = 0; p < processes; p++) {
      const env = { OMP_NUM_THREADS: String(s.torch), OPENBLAS_NUM_THREADS: String(s.blas), MKL_NUM_THREADS: String(s.blas) };
      const r = await runPython(TORCH_SCRIPT(ctx.quick ? 5 : 40, ctx.quick ? 2 : 7, s.torch), env);
      if (!r.ok) {
        ctx.note(`PyTorch skipped: ${r.reason}`);
        return null;
      }
      perProcess.push(r.value.ms);
      version = r.value.torch;
      if (!blasNoted) {
        blasNoted = true;
        const blas = describeBlas(r.value.blas as string[]);
        ctx.note(`PyTorch ${r.value.torch} BLAS: ${blas.text}; its 256x256 matmul ran at ${r.value.matmulGflops.toFixed(1)} GFLOP/s` +
          (r.value.matmulGflops < 10 ? ' (a reference-BLAS speed: peer figures are not meaningful)' : ''));
      }
    }
    const ms = median(perProcess);
    const setting = `torch ${s.torch} x OpenBLAS ${s.blas}`;
    if (!best || ms < best.ms) best = { ms, setting };
  }
  if (!best) return null;
  return { case: CASE, impl: `PyTorch ${version} CPU`, threads, value: best.ms, unit: 'ms/step', better: 'lower', extra: { setting: best.setting } };
}

/* eslint-disable @typescript-eslint/no-explicit-any */
async function measureTfjs(ctx: SuiteContext, backend: 'cpu' | 'wasm'): Promise<Measurement | null> {
  const tf = tryRequire<any>('@tensorflow/tfjs');
  if (!tf) {
    ctx.note('@tensorflow/tfjs not installed: skipped (bench/install-peers.sh installs it)');
    return null;
  }
  if (backend === 'wasm' && !tryRequire('@tensorflow/tfjs-backend-wasm')) {
    ctx.note('@tensorflow/tfjs-backend-wasm not installed: skipped');
    return null;
  }
  try {
    if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not initialize`);
    await tf.ready();
  } catch (error) {
    ctx.note(`tfjs-${backend} skipped: ${(error as Error).message}`);
    return null;
  }
  const dense = (units: number, activation: string, inputShape?: number[]) => tf.layers.dense({ units, activation, inputShape });
  const G = tf.sequential({ layers: [dense(HIDDEN, 'relu', [NOISE]), dense(HIDDEN, 'relu'), dense(DATA, 'tanh')] });
  const D = tf.sequential({
    layers: [dense(HIDDEN, 'linear', [DATA]), tf.layers.leakyReLU({ alpha: 0.2 }), dense(HIDDEN, 'linear'), tf.layers.leakyReLU({ alpha: 0.2 }), dense(1, 'linear')],
  });
  const optD = tf.train.adam(2e-4, 0.5, 0.999), optG = tf.train.adam(2e-4, 0.5, 0.999);
  const dVars = D.trainableWeights.map((w: any) => w.read()), gVars = G.trainableWeights.map((w: any) => w.read());
  const real = tf.randomUniform([BATCH, DATA], -1, 1);
  const ones = tf.ones([BATCH, 1]), zeros = tf.zeros([BATCH, 1]);
  const step = () =>
    tf.tidy(() => {
      const z = tf.randomNormal([BATCH, NOISE]);
      optD.minimize(() => {
        const fake = G.apply(z) as any;
        return tf.add(tf.losses.sigmoidCrossEntropy(ones, D.apply(real)), tf.losses.sigmoidCrossEntropy(zeros, D.apply(fake)));
      }, false, dVars);
      optG.minimize(() => tf.losses.sigmoidCrossEntropy(ones, D.apply(G.apply(z))), false, gVars);
    });
  const steps = ctx.quick ? 1 : backend === 'cpu' ? 2 : 5;
  const t = await timeAsync(
    async () => {
      for (let i = 0; i < steps; i++) step();
      await tf.nextFrame?.();
    },
    { minRuns: ctx.quick ? 1 : 3, minSeconds: ctx.quick ? 0 : 2, warmup: 1 },
  );
  tf.dispose([real, ones, zeros]);
  G.dispose();
  D.dispose();
  return { case: CASE, impl: `tfjs-${backend} ${tf.version_core ?? ''}`.trim(), threads: 1, value: t.medianMs / steps, unit: 'ms/step', better: 'lower' };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export const ganSuite: Suite = {
  name: 'gan',
  hasDevicePath: true,
  description: 'anchor GAN training step (ms/step): reckit vs PyTorch CPU and tfjs (cpu, wasm), 1 thread and all threads',
  async run(ctx) {
    const flops = anchorStepFlops();
    const out: Measurement[] = [];
    const threadCounts = ctx.limits.threads > 1 ? [1, ctx.limits.threads] : [1];
    for (const threads of threadCounts) {
      out.push(await measureReckit(ctx, threads, flops));
      const torch = await measureTorch(ctx, threads);
      if (torch) out.push(torch);
    }
    if (ctx.device === 'cuda') {
      const m = await measureDevice(ctx, flops);
      if (m) out.push(m);
    }
    for (const backend of ['wasm', 'cpu'] as const) {
      const m = await measureTfjs(ctx, backend);
      if (m) out.push(m);
    }
    ctx.note(`one step = ${(flops / 1e6).toFixed(0)} MFLOP as counted here (G forward once, reused by the G update)`);
    ctx.note('tfjs runs in-process on one thread (its wasm backend has no worker threads under Node)');
    return out;
  },
};
