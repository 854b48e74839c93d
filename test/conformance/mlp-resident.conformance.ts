// The resident device Mlp (device: 'cuda') call by call against the same model on the CPU: forward, predict
// (also past the library's 4096-row pieces), backward (parameter and input gradients), step (Adam, SGD with
// momentum, caller-supplied gradients), a manual loop of several forward → backward → step rounds, host changes
// between device calls (setParameters, a CPU training run: the device re-uploads), save/load with a device, and
// out-of-memory on 'cuda' (an error, nothing lost) and on 'auto' (the model moves to the CPU, the call completes).
// Tolerances: outputs and gradients of one pass within 1e-5 relative + 1e-6 absolute (the device GEMM sums in
// another order than the CPU's); parameters after steps within 1e-4 relative + 1e-5 absolute, as for training.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Mlp, computeLoss } from '../../lib/index';
import type { LayerSpec, OptimizerOptions } from '../../lib/mlp';
import { seededFloats } from '../helpers';
import { assertAllClose, requireCudaBackend } from './cuda-backend';

const { backend } = requireCudaBackend();

const PASS = [1e-5, 1e-6] as const;
const STEPPED = [1e-4, 1e-5] as const;

const NETWORKS: { name: string; input: number; layers: LayerSpec[] }[] = [
  { name: 'relu/sigmoid', input: 6, layers: [{ units: 10, activation: 'relu' }, { units: 3, activation: 'sigmoid' }] },
  { name: 'tanh/leaky_relu/linear, 70 wide', input: 5, layers: [{ units: 70, activation: 'tanh' }, { units: 9, activation: 'leaky_relu', slope: 0.1 }, { units: 2, activation: 'linear' }] },
  { name: 'one linear layer, 130 inputs', input: 130, layers: [{ units: 1, activation: 'linear' }] },
];

function pair(net: (typeof NETWORKS)[number], seed = 7): { cpu: Mlp; gpu: Mlp } {
  const cpu = new Mlp({ input: net.input, layers: net.layers, seed, device: 'cpu' });
  const gpu = new Mlp({ input: net.input, layers: net.layers, seed, device: 'cuda' });
  assert.is(gpu.device, 'cuda');
  return { cpu, gpu };
}

function outputs(net: (typeof NETWORKS)[number]): number {
  return net.layers[net.layers.length - 1].units;
}

NETWORKS.forEach((net) => {
  test(`mlp resident ${net.name}: forward, predict, backward (parameter and input gradients) like the CPU`, () => {
    const { cpu, gpu } = pair(net);
    const rows = 37;
    const x = seededFloats(rows * net.input, 1);
    const g = seededFloats(rows * outputs(net), 2);
    assertAllClose(gpu.forward(x), cpu.forward(x), ...PASS, 'forward');
    // A prediction in between leaves the kept forward alone.
    const other = seededFloats(5 * net.input, 3);
    assertAllClose(gpu.predict(other), cpu.predict(other), ...PASS, 'predict');
    const want = cpu.backward(g), got = gpu.backward(g);
    assertAllClose(got.parameterGrads, want.parameterGrads, ...PASS, 'parameter gradients');
    assertAllClose(got.inputGrad, want.inputGrad, ...PASS, 'input gradients');
    assertAllClose(gpu.gradients(), got.parameterGrads, 0, 0, 'gradients() is what backward returned');
    cpu.dispose();
    gpu.dispose();
  });
});

const OPTIMIZERS: { name: string; optimizer: OptimizerOptions }[] = [
  { name: 'adam', optimizer: { type: 'adam', lr: 0.01, weightDecay: 0.001 } },
  { name: 'sgd momentum', optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 0.01 } },
];

OPTIMIZERS.forEach(({ name, optimizer }) => {
  test(`mlp resident: a manual loop of forward → loss → backward → step (${name}) like the CPU`, () => {
    const net = NETWORKS[1];
    const { cpu, gpu } = pair(net, 4);
    const rows = 19;
    for (let it = 0; it < 6; it++) {
      const x = seededFloats(rows * net.input, 10 + it);
      const y = seededFloats(rows * outputs(net), 20 + it);
      const a = cpu.forward(x), b = gpu.forward(x);
      assertAllClose(b, a, ...STEPPED, `forward ${it}`);
      const la = computeLoss('mse', a, y), lb = computeLoss('mse', b, y);
      cpu.backward(la.grad);
      gpu.backward(lb.grad);
      cpu.step(optimizer);
      gpu.step(optimizer);
    }
    assertAllClose(gpu.parameters(), cpu.parameters(), ...STEPPED, 'parameters after six steps');
    // The device's optimizer state went into the model: saved and continued on the CPU like the CPU's own.
    const moved = Mlp.fromBuffer(gpu.toBuffer(), { device: 'cpu' });
    const x = seededFloats(rows * net.input, 99), y = seededFloats(rows * outputs(net), 98);
    const opts = { epochs: 2, batchSize: 8, loss: 'mse' as const, optimizer, seed: 1 };
    assertAllClose(moved.trainSync(x, y, opts), cpu.trainSync(x, y, opts), 1e-5, 1e-9, 'CPU training from the device state');
    for (const m of [cpu, gpu, moved]) m.dispose();
  });
});

test('mlp resident: step with caller gradients, then host changes between device calls are uploaded', () => {
  const net = NETWORKS[0];
  const { cpu, gpu } = pair(net, 5);
  const grads = seededFloats(cpu.parameterCount, 6);
  cpu.step({ type: 'sgd', lr: 0.1 }, grads);
  gpu.step({ type: 'sgd', lr: 0.1 }, grads);
  assertAllClose(gpu.parameters(), cpu.parameters(), ...PASS, 'after a step with caller gradients');
  assertAllClose(gpu.gradients(), grads, 0, 0, 'the caller gradients are the model gradients');
  const x = seededFloats(9 * net.input, 7);
  // setParameters on the host, then the device forward sees the new parameters.
  const fresh = seededFloats(cpu.parameterCount, 8);
  cpu.setParameters(fresh);
  gpu.setParameters(fresh);
  assertAllClose(gpu.parameters(), fresh, 0, 0, 'parameters() after setParameters');
  assertAllClose(gpu.forward(x), cpu.forward(x), ...PASS, 'forward after setParameters');
  // A CPU training run of the device model, then device calls continue from its result.
  const y = seededFloats(9 * outputs(net), 9);
  const opts = { epochs: 2, batchSize: 4, loss: 'bce_with_logits' as const, seed: 2 };
  const a = cpu.trainSync(x, y, opts), b = gpu.trainSync(x, y, { ...opts, device: 'cpu' });
  assert.equal(b, a, 'a CPU run gives the CPU losses');
  assertAllClose(gpu.predict(x), cpu.predict(x), ...PASS, 'predict after a CPU run');
  // Device training continues from there, Adam state and all.
  assertAllClose(gpu.trainSync(x, y, opts), cpu.trainSync(x, y, opts), 1e-6, 1e-9, 'device run after the CPU run');
  assertAllClose(gpu.parameters(), cpu.parameters(), ...STEPPED, 'parameters');
  cpu.dispose();
  gpu.dispose();
});

test('mlp resident: predictions past the 4096-row pieces, async forms', async () => {
  const net = { input: 3, layers: [{ units: 2, activation: 'tanh' as const }] };
  const { cpu, gpu } = pair({ name: '', ...net }, 3);
  const x = seededFloats(4100 * 3, 4);
  assertAllClose(gpu.predict(x), cpu.predict(x), ...PASS, 'predict 4100 rows');
  assertAllClose(await gpu.predictAsync(x.subarray(0, 30)), cpu.predict(x.subarray(0, 30)), ...PASS, 'predictAsync');
  assertAllClose(await gpu.forwardAsync(x.subarray(0, 30)), cpu.forward(x.subarray(0, 30)), ...PASS, 'forwardAsync');
  const g = seededFloats(20, 5);
  assertAllClose(gpu.backward(g).inputGrad, cpu.backward(g).inputGrad, ...PASS, 'backward after forwardAsync');
  cpu.dispose();
  gpu.dispose();
});

test('mlp resident: a move between forward and backward: the backward recomputes the forward where it runs', () => {
  const net = NETWORKS[1];
  const { cpu, gpu } = pair(net, 12);
  const x = seededFloats(11 * net.input, 1), g = seededFloats(11 * outputs(net), 2);
  const want = (cpu.forward(x), cpu.backward(g));
  gpu.forward(x);
  gpu.setDevice('cpu');
  const onCpu = gpu.backward(g);
  assertAllClose(onCpu.inputGrad, want.inputGrad, ...PASS, 'input gradients on the CPU');
  gpu.setDevice('cuda');
  gpu.forward(x);
  gpu.setDevice('cpu');
  gpu.setDevice('cuda');
  gpu.predict(x);  // a new device copy, without the kept forward
  const back = gpu.backward(g);
  assertAllClose(back.parameterGrads, want.parameterGrads, ...PASS, 'parameter gradients after moving back');
  assertAllClose(back.inputGrad, want.inputGrad, ...PASS, 'input gradients after moving back');
  cpu.dispose();
  gpu.dispose();
});

test('mlp resident: dispose frees it; later calls are ERR_RECKIT_DISPOSED', () => {
  const { gpu } = pair(NETWORKS[0]);
  gpu.forward(seededFloats(6, 1));
  gpu.dispose();
  for (const call of [() => gpu.forward(seededFloats(6, 1)), () => gpu.parameters(), () => gpu.step()]) {
    try {
      call();
      assert.unreachable('should throw');
    } catch (e) {
      assert.is((e as { code?: string }).code, 'ERR_RECKIT_DISPOSED', String(e));
    }
  }
});

if (backend === 'emulated') {
  function withLimit<T>(bytes: number, body: () => T): T {
    process.env.RECKIT_CUDA_EMU_MEMORY_LIMIT = String(bytes);
    try {
      return body();
    } finally {
      delete process.env.RECKIT_CUDA_EMU_MEMORY_LIMIT;
    }
  }

  test('mlp resident: out of device memory on cuda is ERR_RECKIT_OUT_OF_MEMORY with nothing lost', () => {
    const net = NETWORKS[1];
    const { cpu, gpu } = pair(net, 8);
    const x = seededFloats(40 * net.input, 1);
    gpu.step({ type: 'sgd', lr: 0.1 }, seededFloats(cpu.parameterCount, 2));
    cpu.step({ type: 'sgd', lr: 0.1 }, seededFloats(cpu.parameterCount, 2));
    const before = gpu.parameters();
    // The parameters are resident (8.6 KB with gradients); a 40-row forward's activations do not fit beside them.
    for (const call of [() => gpu.forward(x), () => gpu.step({ type: 'adam' })]) {
      try {
        withLimit(10000, call);
        assert.unreachable('should throw');
      } catch (e) {
        assert.is((e as { code?: string }).code, 'ERR_RECKIT_OUT_OF_MEMORY', String(e));
      }
      assert.is(gpu.device, 'cuda');
      assertAllClose(gpu.parameters(), before, 0, 0, 'parameters after the failed call');
    }
    assertAllClose(gpu.forward(x), cpu.forward(x), ...PASS, 'forward once memory is back');
    cpu.dispose();
    gpu.dispose();
  });

  test('mlp resident: out of device memory on auto moves the model to the CPU, state intact, the call completes', () => {
    const net = NETWORKS[1];
    const cpu = new Mlp({ input: net.input, layers: net.layers, seed: 8, device: 'cpu' });
    const auto = new Mlp({ input: net.input, layers: net.layers, seed: 8 });
    assert.is(auto.device, 'cuda', 'auto picks the device');
    const x = seededFloats(40 * net.input, 1), y = seededFloats(40 * 2, 2);
    const opts = { epochs: 1, batchSize: 8, loss: 'mse' as const, seed: 3 };
    assertAllClose(auto.trainSync(x, y, opts), cpu.trainSync(x, y, opts), 1e-6, 1e-9, 'device training');
    const out = withLimit(12000, () => auto.forward(x));  // the Adam state is resident: no room for 40 rows
    assert.is(auto.device, 'cpu');
    assertAllClose(out, cpu.forward(x), ...STEPPED, 'forward, completed on the CPU');
    // The device's Adam state came back: training continues like the CPU model's.
    assertAllClose(auto.trainSync(x, y, opts), cpu.trainSync(x, y, opts), 1e-5, 1e-9, 'CPU training after the move');
    // A model that cannot even upload trains on the CPU from the start.
    const small = new Mlp({ input: net.input, layers: net.layers, seed: 8 });
    const twin = new Mlp({ input: net.input, layers: net.layers, seed: 8, device: 'cpu' });
    assert.equal(withLimit(64, () => small.trainSync(x, y, opts)), twin.trainSync(x, y, opts));
    assert.is(small.device, 'cpu');
    for (const m of [cpu, auto, small, twin]) m.dispose();
  });
}

test.run();
