// Saves are atomic: a child process SIGKILLed in the middle of a large save (index, table, Mlp, Gan)
// leaves the previous file loadable and byte-identical (or, if the kill came after the rename, the
// complete new one: never a mix). And every loader detects truncation and damage (checksum) on load,
// with ERR_RECKIT_CORRUPT_FILE, read or memory-mapped, sync or async.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CosineIndex, EmbeddingTable, Gan, Mlp, readSafetensors } from '../lib/index';
import { BIG_KINDS, bigObject, loadAndImage } from './reliability/big-objects';
import { ganSubject, indexSubject, mlpSubject, tableSubject } from './reliability/entry-points';

const CHILD = path.join(__dirname, 'fixtures', 'save-child.ts');
const ROOT = path.join(__dirname, '..');

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

/** Starts a child saving `kind` (seed 2) over `file` again and again; SIGKILLs it once a temp file has data. */
async function killMidSave(kind: string, file: string): Promise<{ leftover: string[] }> {
  const dir = path.dirname(file);
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', CHILD, kind, '2', file, '1000'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('saving') && resolve());
    child.on('exit', () => reject(new Error('the child exited before saving')));
  });
  // Busy-poll the directory (no timers: the save takes tens of milliseconds).
  const deadline = Date.now() + 60_000;
  let killed = false;
  while (!killed && Date.now() < deadline) {
    for (const name of readdirSync(dir)) {
      if (!name.startsWith(`${path.basename(file)}.tmp-`)) continue;
      try {
        if (statSync(path.join(dir, name)).size > 0) {
          child.kill('SIGKILL');
          killed = true;
          break;
        }
      } catch {
        // renamed away between readdir and stat: the next one will do
      }
    }
  }
  if (!killed) child.kill('SIGKILL');
  await exited;
  assert.ok(killed, 'saw a temp file with data before the deadline');
  return { leftover: readdirSync(dir).filter((n) => n.includes('.tmp-')) };
}

for (const kind of BIG_KINDS) {
  test(`${kind}: SIGKILL during a large save leaves the previous file intact`, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), `reckit-durability-${kind}-`));
    const file = path.join(dir, 'model.safetensors');
    try {
      bigObject(kind, 1).save(file);
      const v1 = readFileSync(file);
      const v2 = bigObject(kind, 2).toBuffer();
      assert.ok(v1.length > 8 << 20, `a large file (${v1.length} bytes)`);
      assert.not.ok(sameBytes(v1, v2));
      let killedMidWrite = 0;
      for (let attempt = 0; attempt < 4 && killedMidWrite < 1; attempt++) {
        const { leftover } = await killMidSave(kind, file);
        const now = readFileSync(file);
        const isV1 = sameBytes(now, v1);
        assert.ok(isV1 || sameBytes(now, v2), 'the file is the old or the new version, whole');
        assert.ok(sameBytes(loadAndImage(kind, file), now), 'and it loads to the same bytes');
        if (leftover.length > 0) killedMidWrite++;
        for (const name of leftover) rmSync(path.join(dir, name));
      }
      assert.ok(killedMidWrite >= 1, 'at least one kill landed while the temp file was being written');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

const CORRUPT = 'ERR_RECKIT_CORRUPT_FILE';

/** Each loader of each kind, sync and async, read and mapped. */
const LOADERS: Record<string, [string, (p: string) => unknown][]> = {
  index: [
    ['CosineIndex.load', (p) => CosineIndex.load(p)],
    ['CosineIndex.load mmap', (p) => CosineIndex.load(p, { mmap: true })],
    ['CosineIndex.loadAsync', (p) => CosineIndex.loadAsync(p)],
    ['CosineIndex.loadAsync mmap', (p) => CosineIndex.loadAsync(p, { mmap: true })],
  ],
  table: [
    ['EmbeddingTable.load', (p) => EmbeddingTable.load(p)],
    ['EmbeddingTable.load mmap', (p) => EmbeddingTable.load(p, { mmap: true })],
    ['EmbeddingTable.loadAsync', (p) => EmbeddingTable.loadAsync(p)],
    ['EmbeddingTable.loadAsync mmap', (p) => EmbeddingTable.loadAsync(p, { mmap: true })],
  ],
  mlp: [['Mlp.load', (p) => Mlp.load(p)], ['Mlp.loadAsync', (p) => Mlp.loadAsync(p)]],
  gan: [['Gan.load', (p) => Gan.load(p)], ['Gan.loadAsync', (p) => Gan.loadAsync(p)]],
};
const SMALL = { index: indexSubject, table: tableSubject, mlp: mlpSubject, gan: ganSubject } as const;

/** Damaged copies of a file image: truncations at every structural boundary, flipped and extra bytes. */
function damaged(bytes: Buffer): [string, Buffer][] {
  const headerEnd = 8 + Number(bytes.readBigUInt64LE(0));
  const mid = headerEnd + Math.floor((bytes.length - headerEnd) / 2);
  const flip = (at: number) => { const c = Buffer.from(bytes); c[at] ^= 0x10; return c; };
  return [
    ['empty', bytes.subarray(0, 0)],
    ['7 bytes', bytes.subarray(0, 7)],
    ['length prefix only', bytes.subarray(0, 8)],
    ['half the header', bytes.subarray(0, 8 + Math.floor((headerEnd - 8) / 2))],
    ['header only', bytes.subarray(0, headerEnd)],
    ['half the data', bytes.subarray(0, mid)],
    ['one byte short', bytes.subarray(0, bytes.length - 1)],
    ['a flipped data byte', flip(mid)],
    ['a flipped last byte', flip(bytes.length - 1)],
    ['a byte appended', Buffer.concat([bytes, Buffer.from([0])])],
    // One flipped header byte that renames the checksum key must not switch verification off.
    ['checksum key renamed and a data byte flipped', (() => { const c = flip(mid); c.write('reckit.xxh65', c.indexOf('reckit.xxh64'), 'latin1'); return c; })()],
  ];
}

test('every loader detects truncation and damage: ERR_RECKIT_CORRUPT_FILE, read or mapped, sync or async', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'reckit-corrupt-'));
  let checked = 0;
  try {
    for (const kind of Object.keys(LOADERS) as (keyof typeof SMALL)[]) {
      const subject = SMALL[kind] as { make(): unknown };
      const object = (await subject.make()) as { save(p: string): void };
      const file = path.join(dir, `${kind}.safetensors`);
      object.save(file);
      const bytes = readFileSync(file);
      for (const [damage, image] of damaged(bytes)) {
        const bad = path.join(dir, `${kind}-bad.safetensors`);
        writeFileSync(bad, image);
        // readSafetensors also reads foreign files, which carry no checksum: it is held to the rest.
        const generic = damage.startsWith('checksum key') ? [] : [['readSafetensors', (p: string) => readSafetensors(p)] as const];
        for (const [name, load] of [...LOADERS[kind], ...generic]) {
          let error: { code?: string; message?: string } | undefined;
          try {
            await load(bad);
          } catch (e) {
            error = e as typeof error;
          }
          assert.is(error?.code, CORRUPT, `${name} on ${kind} with ${damage}: ${error?.message ?? 'loaded'}`);
          checked++;
        }
      }
      // The undamaged file still loads after all that.
      for (const [, load] of LOADERS[kind]) await load(file);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(checked >= 100);
});

test('a file truncated in place after a save is detected too', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'reckit-truncate-'));
  try {
    const file = path.join(dir, 'table.safetensors');
    tableSubject.make().save(file);
    truncateSync(file, statSync(file).size - 4);
    assert.throws(() => EmbeddingTable.load(file, { mmap: true }), (e: { code?: string }) => e.code === CORRUPT);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
