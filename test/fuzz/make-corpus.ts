/**
 * Writes the fuzzers' seed corpus (test/fuzz/corpus/<target>/): small valid files of every kind reckit
 * saves, in each storage and with optimizer state, plus their JSON headers. Rerun after a format
 * change: node -r tsx/cjs test/fuzz/make-corpus.ts
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CosineIndex, EmbeddingTable, Gan, Mlp, writeSafetensors } from '../../lib/index';
import { values } from '../reliability/entry-points';

const ROOT = path.join(__dirname, 'corpus');
const seeds: Record<string, [string, Uint8Array][]> = { json: [], safetensors: [], cosine_index: [], embedding_table: [], models: [] };

function header(image: Uint8Array): Uint8Array {
  const n = Number(Buffer.from(image.buffer, image.byteOffset, image.length).readBigUInt64LE(0));
  return image.subarray(8, 8 + n);
}
/** `image` as the target's seed (`input` when the harness wants a prefix byte first). */
function add(target: string, name: string, image: Uint8Array, input: Uint8Array = image): void {
  seeds[target].push([name, input]);
  seeds.safetensors.push([`${target}-${name}`, image]);
  seeds.json.push([`${target}-${name}`, header(image)]);
}

for (const storage of ['f32', 'bf16', 'f16', 'i8'] as const) {
  for (const rerank of storage === 'f32' ? [false] : [false, true]) {
    const index = new CosineIndex({ dim: 5, storage, rerank, metric: storage === 'i8' ? 'ip' : 'cosine' });
    index.add([3, 9, 2 ** 40, 17], values(20, 7));
    add('cosine_index', `${storage}${rerank ? '-rerank' : ''}`, index.toBuffer());
  }
}
const empty = new CosineIndex({ dim: 3 });
add('cosine_index', 'empty', empty.toBuffer());

const table = EmbeddingTable.fromArray(6, 3, values(18, 8));
add('embedding_table', 'plain', table.toBuffer());
table.step([1, 4], null, values(6, 9), { optimizer: 'adam', lr: 0.1 });
add('embedding_table', 'adam', table.toBuffer({ optimizerState: true }));
const ada = EmbeddingTable.fromArray(4, 2, values(8, 10));
ada.step([0, 3], null, values(4, 11), { optimizer: 'adagrad', lr: 0.1 });
add('embedding_table', 'adagrad', ada.toBuffer({ optimizerState: true }));

const withKind = (kind: number, image: Uint8Array): [Uint8Array, Uint8Array] => [image, Buffer.concat([Buffer.from([kind]), image])];
const mlp = new Mlp({ input: 3, layers: [{ units: 4, activation: 'leaky_relu', alpha: 0.1 }, { units: 2, activation: 'sigmoid' }], seed: 1 });
add('models', 'mlp', ...withKind(0, mlp.toBuffer()));
mlp.forward(values(6, 12));
mlp.backward(values(4, 13));
mlp.step({ type: 'adam', lr: 0.01 });
add('models', 'mlp-adam', ...withKind(0, mlp.toBuffer()));
const gan = new Gan({ dataDim: 2, noiseDim: 2, conditionDim: 1, generator: [{ units: 3, activation: 'tanh' }], discriminator: [{ units: 3 }], seed: 3 });
add('models', 'gan', ...withKind(1, gan.toBuffer()));
const packed = new Gan({ dataDim: 2, noiseDim: 2, generator: [{ units: 3 }], discriminator: [{ units: 3 }], pac: 2, seed: 4 });
add('models', 'gan-pac', ...withKind(1, packed.toBuffer()));

seeds.safetensors.push(['foreign', writeSafetensors(null, { a: { dtype: 'I64', shape: [2], data: BigInt64Array.from([1n, -2n]) }, b: { dtype: 'BF16', shape: [1, 2], data: Uint16Array.from([1, 2]) } })]);
for (const [i, text] of ['{}', '[1, -2.5e3, "a\\u00e9\\n", true, false, null]', '{"a": {"b": [[], {}]}}', '"\\ud83d\\ude00"', '1e308', '-0'].entries()) {
  seeds.json.push([`hand-${i}`, Buffer.from(text)]);
}

for (const [target, files] of Object.entries(seeds)) {
  const dir = path.join(ROOT, target);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of files) writeFileSync(path.join(dir, name), bytes);
  console.log(`${target}: ${files.length} seeds`);
}
