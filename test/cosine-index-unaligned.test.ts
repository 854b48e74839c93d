// A file not written by reckit may put a tensor at any offset (safetensors does not require alignment).
// CosineIndex.load must answer from such a file exactly as from the aligned original, read or mapped, on
// every ISA: mapped rows at an odd address are copied into aligned memory instead of being handed to
// kernels that read them through typed pointers (UBSan, in `npm run test:asan`, reports such a read).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CosineIndex, info } from '../lib/index';
import { randomVectors } from './helpers/topk-reference';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reckit-unaligned-'));
const dim = 21;

// The same tensors and checksum, with the header grown by one byte: the data section, and every tensor
// in it, moves to an odd file offset (so to an odd address in a page-aligned mapping).
function shiftByOneByte(file: string): Buffer {
  const bytes = fs.readFileSync(file);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const out = Buffer.alloc(bytes.length + 1);
  out.writeBigUInt64LE(BigInt(headerLength + 1), 0);
  bytes.copy(out, 8, 8, 8 + headerLength);
  out[8 + headerLength] = 0x20;  // JSON allows trailing whitespace
  bytes.copy(out, 9 + headerLength, 8 + headerLength);
  return out;
}

const files: string[] = [];
for (const [storage, rerank] of [['f32', false], ['bf16', true], ['f16', false], ['i8', true]] as const) {
  const index = new CosineIndex({ dim, storage, rerank });
  index.add(Array.from({ length: 300 }, (_, i) => i), randomVectors(300, dim, 11));
  const file = path.join(dir, `${storage}.safetensors`);
  index.save(file);
  fs.writeFileSync(file + '.odd', shiftByOneByte(file));
  files.push(file);
}

test('the shifted file really puts the tensors at odd offsets', () => {
  const bytes = fs.readFileSync(files[0] + '.odd');
  assert.is(Number(bytes.readBigUInt64LE(0)) % 2, 1);
});

test('a file with tensors at odd offsets answers exactly like the aligned one, read and mapped, on every ISA', () => {
  for (const isa of info().supportedIsas) {
    const run = spawnSync(process.execPath, ['-r', 'tsx/cjs', path.join(__dirname, 'fixtures', 'unaligned-index-child.ts'), String(dim), ...files], {
      env: { ...process.env, RECKIT_ISA: isa },
      encoding: 'utf8',
      cwd: path.join(__dirname, '..'),
    });
    assert.is(run.status, 0, `${isa}: ${run.stderr}`);
    const report = JSON.parse(run.stdout.trim().split('\n').pop() as string) as { isa: string; cases: number; mismatches: string[] };
    assert.is(report.isa, isa);
    assert.is(report.cases, files.length * 2 * 6);
    assert.equal(report.mismatches, [], `${isa}: ${report.mismatches.join('; ')}`);
  }
});

test('a mapped shifted index takes writes (its copy is owned) and leaves the file unchanged', () => {
  const before = fs.readFileSync(files[1] + '.odd');
  const mapped = CosineIndex.load(files[1] + '.odd', { mmap: true });
  const owned = CosineIndex.load(files[1]);
  for (const ix of [mapped, owned]) {
    ix.add([1000], randomVectors(1, dim, 12));
    ix.remove([5]);
  }
  const q = randomVectors(2, dim, 13);
  const a = mapped.searchSync(q, { k: 10 }), b = owned.searchSync(q, { k: 10 });
  assert.equal(Array.from(a.ids), Array.from(b.ids));
  assert.equal(Array.from(a.scores), Array.from(b.scores));
  assert.ok(fs.readFileSync(files[1] + '.odd').equals(before));
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
