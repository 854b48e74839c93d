import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { info, ops, type Isa } from '../lib/index';
import { assertClose, dot64, runNode, seededFloats } from './helpers';

const isas: Isa[] = info().supportedIsas;
const LENGTHS = [0, 1, 3, 7, 8, 15, 16, 17, 31, 33, 63, 64, 65, 127, 128, 129, 1000, 4099];

test('the machine supports at least the portable path, listed best first', () => {
  assert.ok(isas.includes('portable'));
  assert.is(isas[isas.length - 1], 'portable');
  assert.is(info().isa, isas[0]);
});

for (const isa of isas) {
  test(`dot, l2Squared and norm on ${isa} match a float64 reference at every tail length`, () => {
    for (const n of LENGTHS) {
      const a = seededFloats(n, 11 + n);
      const b = seededFloats(n, 97 + n);
      const scale = Math.sqrt(n) + 1;
      assertClose(ops.dot(a, b, { isa }), dot64(a, b), 1e-5, 1e-5 * scale, `dot n=${n}`);
      let l2 = 0;
      for (let i = 0; i < n; i++) l2 += (a[i] - b[i]) ** 2;
      assertClose(ops.l2Squared(a, b, { isa }), l2, 1e-5, 1e-5 * scale, `l2 n=${n}`);
      assertClose(ops.norm(a, { isa }), Math.sqrt(dot64(a, a)), 1e-5, 1e-5 * scale, `norm n=${n}`);
    }
  });
}

test('every ISA path gives the same results (within float32 rounding)', () => {
  const a = seededFloats(5003, 1);
  const b = seededFloats(5003, 2);
  const values = isas.map((isa) => ops.dot(a, b, { isa }));
  for (const v of values) assertClose(v, values[values.length - 1], 1e-5, 1e-4);
});

test('subarray views with a byteOffset are read at their offset', () => {
  const backing = seededFloats(300, 5);
  const a = backing.subarray(3, 103);
  const b = backing.subarray(150, 250);
  for (const isa of isas) assertClose(ops.dot(a, b, { isa }), dot64(a, b), 1e-5, 1e-4, `dot on ${isa}`);
  assertClose(ops.cosine(a, a), 1, 1e-6, 1e-6);
});

test('RECKIT_ISA forces each supported path, and an unsupported or unknown one falls back with a note', () => {
  for (const isa of isas) {
    const out = JSON.parse(runNode("const r = require('./dist/lib/index.js'); console.log(JSON.stringify(r.info()))", { RECKIT_ISA: isa }));
    assert.is(out.isa, isa);
    assert.is(out.isaNote, null);
  }
  const bogus = JSON.parse(runNode("console.log(JSON.stringify(require('./dist/lib/index.js').info()))", { RECKIT_ISA: 'sse9' }));
  assert.is(bogus.isa, isas[0]);
  assert.match(bogus.isaNote, 'sse9');
});

test('a forced path computes the same dot product as the in-process path of that ISA', () => {
  const code =
    "const r = require('./dist/lib/index.js'); const a = new Float32Array(1001).map((_, i) => Math.sin(i)); " +
    'console.log(r.ops.dot(a, a.map((x) => x * 0.5)))';
  const a = new Float32Array(1001).map((_, i) => Math.sin(i));
  const b = a.map((x) => x * 0.5);
  for (const isa of isas) {
    const forced = Number(runNode(code, { RECKIT_ISA: isa }).trim());
    assert.is(forced, ops.dot(a, b, { isa }), `RECKIT_ISA=${isa}`);
  }
});

test.run();
