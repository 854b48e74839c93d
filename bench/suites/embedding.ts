/**
 * Suite `embedding`: EmbeddingTable on a 1,000,000 × 64 f32 table with 4,096 bags × 20 random ids —
 * bag forward (mean), bag forward + backward + sparse update (SGD; Adam vs PyTorch SparseAdam), and a
 * plain gather of the 81,920 ids — at 1 thread and all threads, against PyTorch nn.EmbeddingBag,
 * @tensorflow/tfjs gather and a plain JS loop where installed. Figures: Mrows/s (ids processed per
 * second), GB/s of rows read, and that as a fraction of the measured read bandwidth. With `--device cuda`,
 * the same cases on a device-resident table ({ device: 'cuda' }; batches go up, results come down each call).
 */
import { info, setThreads } from '../../lib/info';
import { EmbeddingTable } from '../../lib/embedding-table';
import { benchData, describeBlas, type Measurement, PY_BLAS_LIBS, runPython, type Suite, type SuiteContext, timeSync, tryRequire } from '../harness';

interface Sizes {
  rows: number;
  dim: number;
  bags: number;
  bagSize: number;
}

const FULL: Sizes = { rows: 1_000_000, dim: 64, bags: 4096, bagSize: 20 };
const QUICK: Sizes = { rows: 50_000, dim: 64, bags: 256, bagSize: 20 };

function randomIds(n: number, rows: number, seed: number): Uint32Array {
  const out = new Uint32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = (s >>> 0) % rows;
  }
  return out;
}

// One PyTorch process per thread count: times EmbeddingBag forward, forward+backward+SGD and +SparseAdam,
// and F.embedding (gather); prints one JSON line of median milliseconds.
const TORCH_SCRIPT = (s: Sizes, threads: number[], minSeconds: number) => `
import json, time, torch
torch.manual_seed(0)
rows, dim, bags, bag = ${s.rows}, ${s.dim}, ${s.bags}, ${s.bagSize}
ids = torch.randint(0, rows, (bags * bag,), dtype=torch.int64)
offsets = torch.arange(0, bags * bag, bag, dtype=torch.int64)
grad = torch.randn(bags, dim) * 0.01
def timeit(fn, min_seconds=${minSeconds}, min_runs=5):
    fn()
    samples = []
    start = time.perf_counter()
    while len(samples) < min_runs or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter(); fn(); samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return samples[len(samples) // 2]
out = {"version": torch.__version__}
for threads in ${JSON.stringify(threads)}:
    torch.set_num_threads(threads)
    r = {}
    emb = torch.nn.EmbeddingBag(rows, dim, mode="mean", sparse=True)
    with torch.no_grad():
        emb.weight.normal_(0, 0.1)
    def fwd():
        with torch.no_grad():
            emb(ids, offsets)
    r["forward"] = timeit(fwd)
    sgd = torch.optim.SGD(emb.parameters(), lr=0.01)
    def train_sgd():
        sgd.zero_grad(set_to_none=True)
        emb(ids, offsets).backward(grad)
        sgd.step()
    r["sgd"] = timeit(train_sgd)
    adam = torch.optim.SparseAdam(list(emb.parameters()), lr=0.001)
    def train_adam():
        adam.zero_grad(set_to_none=True)
        emb(ids, offsets).backward(grad)
        adam.step()
    r["adam"] = timeit(train_adam)
    weight = emb.weight.detach()
    def gather():
        torch.nn.functional.embedding(ids, weight)
    r["gather"] = timeit(gather)
    del emb, sgd, adam, weight
    out[str(threads)] = r
${PY_BLAS_LIBS}
out["blas"] = blas_libs
print(json.dumps(out))
`;

type Push = (name: 'forward' | 'sgd' | 'adam' | 'gather', impl: string, threads: number, ms: number, withLimit: boolean) => void;

// The same cases on a device table built from the same rows. The emulated library (a test build) runs kernels
// on CPU threads one block at a time: it is timed at the quick sizes only, as a check that the path works.
async function measureDevice(ctx: SuiteContext, s: Sizes, ids: Uint32Array, offsets: Uint32Array, gradOut: Float32Array,
  push: Push, rows: Float32Array, minSeconds: number): Promise<void> {
  const cuda = info().cuda;
  if (cuda.backend === 'emulated' && !ctx.quick) {
    ctx.note('--device cuda: the loaded CUDA library is the emulated test build; device cases need --quick with it (they are not GPU speeds)');
    return;
  }
  const impl = `reckit cuda${cuda.backend === 'emulated' ? ' (emulated, not a GPU speed)' : ''}`;
  const table = await EmbeddingTable.createAsync({ rows: s.rows, dim: s.dim, init: { kind: 'zeros' }, device: 'cuda' });
  const adamTable = EmbeddingTable.fromArray(s.rows, s.dim, rows, { device: 'cuda' });
  const pooled = new Float32Array(s.bags * s.dim);
  const gathered = new Float32Array(ids.length * s.dim);
  const options = { minSeconds, minRuns: cuda.backend === 'emulated' ? 1 : 5 };
  try {
    const fwd = timeSync(() => table.lookupBag(ids, offsets, { mode: 'mean', out: pooled }), options);
    push('forward', impl, 1, fwd.medianMs, false);
    const sgd = timeSync(() => {
      table.lookupBag(ids, offsets, { mode: 'mean', out: pooled });
      table.step(ids, offsets, gradOut, { optimizer: 'sgd', lr: 0.01, mode: 'mean' });
    }, options);
    push('sgd', impl, 1, sgd.medianMs, false);
    const adam = timeSync(() => {
      adamTable.lookupBag(ids, offsets, { mode: 'mean', out: pooled });
      adamTable.step(ids, offsets, gradOut, { optimizer: 'adam', lr: 0.001, mode: 'mean' });
    }, options);
    push('adam', impl, 1, adam.medianMs, false);
    const gather = timeSync(() => table.lookup(ids, { out: gathered }), options);
    push('gather', impl, 1, gather.medianMs, false);
    ctx.note(`${impl}: ${cuda.device}; each call moves its batch up and its result down through pinned staging (included in the time)`);
  } finally {
    table.dispose();
    adamTable.dispose();
  }
}

export const embeddingSuite: Suite = {
  name: 'embedding',
  hasDevicePath: true,
  description: 'EmbeddingTable bag forward, forward+backward+sparse step, gather (1M x 64, 4096 bags x 20)',
  async run(ctx: SuiteContext) {
    const s = ctx.quick ? QUICK : FULL;
    const n = s.bags * s.bagSize;
    const rowBytes = s.dim * 4;
    const minSeconds = ctx.quick ? 0.05 : 1;
    const threadCounts = [...new Set([1, ctx.limits.threads])];
    const label = `${s.rows}x${s.dim}, ${s.bags} bags x ${s.bagSize}`;
    const cases = {
      forward: `bag forward mean (${label})`,
      sgd: `bag fwd+bwd+SGD step (${label})`,
      adam: `bag fwd+bwd+Adam step (${label})`,
      gather: `gather ${n} ids (${s.rows}x${s.dim})`,
    };
    const out: Measurement[] = [];
    const bandwidth = (threads: number) => (threads === 1 ? ctx.limits.readBandwidthGBs.one : ctx.limits.readBandwidthGBs.all);
    // Mrows/s of `rows` ids in `ms`; GB/s counts each id's row read once.
    const push = (name: keyof typeof cases, impl: string, threads: number, ms: number, withLimit: boolean) => {
      const gbs = (n * rowBytes) / (ms / 1000) / 1e9;
      out.push({
        case: cases[name],
        impl,
        threads,
        value: n / (ms / 1000) / 1e6,
        unit: 'Mrows/s',
        better: 'higher',
        ofLimit: withLimit ? gbs / bandwidth(threads) : undefined,
        extra: { ms: Number(ms.toFixed(3)), GBs: Number(gbs.toFixed(2)) },
      });
    };

    const ids = randomIds(n, s.rows, 12345);
    const offsets = new Uint32Array(s.bags).map((_, b) => b * s.bagSize);
    const gradOut = benchData(s.bags * s.dim, 7).map((v) => v * 0.01);
    const table = new EmbeddingTable({ rows: s.rows, dim: s.dim, init: { kind: 'normal', std: 0.1, seed: 1 }, device: 'cpu' });
    const adamTable = table.clone();
    // Outputs reused across iterations, as a training loop would (the `out` option).
    const pooled = new Float32Array(s.bags * s.dim);
    const gathered = new Float32Array(n * s.dim);
    let torchVersion = '';
    let torchSkipped = false;
    try {
      for (const threads of threadCounts) {
        setThreads(threads);
        const fwd = timeSync(() => table.lookupBag(ids, offsets, { mode: 'mean', out: pooled }), { minSeconds });
        push('forward', 'reckit', threads, fwd.medianMs, true);
        const sgd = timeSync(() => {
          table.lookupBag(ids, offsets, { mode: 'mean', out: pooled });
          table.step(ids, offsets, gradOut, { optimizer: 'sgd', lr: 0.01, mode: 'mean' });
        }, { minSeconds });
        push('sgd', 'reckit', threads, sgd.medianMs, false);
        const adam = timeSync(() => {
          adamTable.lookupBag(ids, offsets, { mode: 'mean', out: pooled });
          adamTable.step(ids, offsets, gradOut, { optimizer: 'adam', lr: 0.001, mode: 'mean' });
        }, { minSeconds });
        push('adam', 'reckit', threads, adam.medianMs, false);
        const gather = timeSync(() => table.lookup(ids, { out: gathered }), { minSeconds });
        push('gather', 'reckit', threads, gather.medianMs, true);
        // PyTorch at the same thread count right after ours, so load drift on a shared machine skews the
        // ratio as little as possible (one process per thread count).
        const torch = torchSkipped ? null : await runPython(TORCH_SCRIPT(s, [threads], minSeconds), { OMP_NUM_THREADS: String(threads) });
        if (torch && torch.ok) {
          const version = torch.value.version as string;
          if (!torchVersion) {
            ctx.note(`PyTorch ${version} BLAS: ${describeBlas(torch.value.blas as string[]).text} (EmbeddingBag itself does not call BLAS)`);
          }
          torchVersion = version;
          const r = torch.value[String(threads)] as Record<string, number>;
          push('forward', `torch ${version} EmbeddingBag`, threads, r.forward, true);
          push('sgd', `torch ${version} EmbeddingBag sparse SGD`, threads, r.sgd, false);
          push('adam', `torch ${version} EmbeddingBag SparseAdam`, threads, r.adam, false);
          push('gather', `torch ${version} F.embedding`, threads, r.gather, true);
        } else if (torch) {
          torchSkipped = true;
          ctx.note(`PyTorch skipped: ${torch.reason}`);
        }
      }
    } finally {
      setThreads(0);
    }

    // Plain JS loops over a copy of the rows (single-threaded by nature).
    const data = table.data();
    adamTable.dispose();
    const jsGather = timeSync(() => {
      const result = gathered;
      for (let i = 0; i < n; i++) result.set(data.subarray(ids[i] * s.dim, (ids[i] + 1) * s.dim), i * s.dim);
    }, { minSeconds });
    push('gather', 'plain JS loop', 1, jsGather.medianMs, true);
    const jsForward = timeSync(() => {
      const result = pooled.fill(0);
      for (let b = 0; b < s.bags; b++) {
        const base = b * s.dim;
        for (let i = offsets[b]; i < offsets[b] + s.bagSize; i++) {
          const row = ids[i] * s.dim;
          for (let d = 0; d < s.dim; d++) result[base + d] += data[row + d];
        }
        for (let d = 0; d < s.dim; d++) result[base + d] /= s.bagSize;
      }
    }, { minSeconds });
    push('forward', 'plain JS loop', 1, jsForward.medianMs, true);

    // @tensorflow/tfjs (CPU backend, pure JS): tf.gather.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const tf = tryRequire<any>('@tensorflow/tfjs');
    if (tf) {
      await tf.setBackend('cpu');
      const weights = tf.tensor2d(data, [s.rows, s.dim]);
      const idx = tf.tensor1d(Int32Array.from(ids), 'int32');
      const t = timeSync(() => {
        const r = tf.gather(weights, idx);
        r.dataSync();
        r.dispose();
      }, { minSeconds });
      push('gather', `tfjs ${tf.version_core ?? ''} cpu`.trim(), 1, t.medianMs, true);
      weights.dispose();
      idx.dispose();
    } else {
      ctx.note('@tensorflow/tfjs not installed: tfjs gather skipped (bench/install-peers.sh installs it)');
    }
    if (ctx.device === 'cuda') await measureDevice(ctx, s, ids, offsets, gradOut, push, table.data(), minSeconds);
    table.dispose();

    if (torchVersion) {
      ctx.note('Adam: reckit keeps a step count per row (lazy Adam); torch SparseAdam one per tensor. Same work per touched row.');
    }
    return out;
  },
};
