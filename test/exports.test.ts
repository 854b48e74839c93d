// The package as a user gets it: every documented public name resolves through `require('reckit')` and
// `import ... from 'reckit'` (package.json "exports" → the compiled dist/), both faces share one instance,
// and the published type declarations type-check a consumer that uses them both ways.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers';

/** The public API the README documents, by kind, so a dropped export fails here and not in a user's build. */
const CLASSES = [
  'CosineIndex', 'EmbeddingTable', 'Mlp', 'Gan', 'RecommenderBase', 'TopPop', 'ItemKnn', 'UserKnn', 'Bpr', 'CFGAN',
  'TabularSynthesizer', 'TableEncoder', 'IdMap', 'MetricAccumulator', 'Rng',
];
const FUNCTIONS = [
  'info', 'backends', 'setThreads', 'getThreads', 'isReckitError', 'readSafetensors', 'writeSafetensors', 'xxh64',
  'mergeTopK', 'computeLoss', 'qualityReport', 'qualityReportAsync', 'readCsvTable', 'writeCsvTable',
  'loadInteractions', 'loadInteractionsSync', 'parseInteractions', 'toCsr', 'itemsByUser', 'clean',
  'leaveOneOut', 'ratioSplit', 'timeSplit', 'splitBySpec', 'fullRankingMetrics', 'sampledMetrics', 'evaluate',
  'evaluateModel', 'registerModel', 'loadModel', 'bprStep', 'generateShop', 'shopInteractions', 'shopToCsv',
];
const NAMESPACES: Record<string, string[]> = {
  ops: ['dot', 'l2Squared', 'norm', 'cosine', 'gemm', 'gemmAsync'],
  random: ['uniform', 'normal', 'bits', 'uniformAsync', 'normalAsync', 'philox4x32'],
  tabular: ['readCsvTable', 'writeCsvTable', 'parseCsv', 'tableFromRows', 'tableFromColumns', 'tableToRows',
    'TableEncoder', 'ConditionSampler', 'fitGmm', 'qualityReport', 'qualityReportAsync', 'qualityHtml', 'TabularSynthesizer'],
};

const project = mkdtempSync(join(tmpdir(), 'reckit-exports-'));
mkdirSync(join(project, 'node_modules'));
symlinkSync(ROOT, join(project, 'node_modules', 'reckit'), 'dir');
writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'exports-check', private: true }));

/** Runs a script in the consumer project and returns what it printed as JSON. */
function probe(script: string, esm: boolean): Record<string, string> {
  const args = esm ? ['--input-type=module', '-e', script] : ['-e', script];
  const r = spawnSync(process.execPath, args, { cwd: project, encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const KINDS = `const kinds = {};
for (const n of ${JSON.stringify([...CLASSES, ...FUNCTIONS, ...Object.keys(NAMESPACES)])}) kinds[n] = typeof m[n];
for (const [ns, names] of Object.entries(${JSON.stringify(NAMESPACES)}))
  for (const n of names) kinds[ns + '.' + n] = typeof (m[ns] ?? {})[n];`;

test('every documented name is defined through require and import, and both are one instance', () => {
  const cjs = probe(`const m = require('reckit'); ${KINDS} console.log(JSON.stringify(kinds));`, false);
  const esm = probe(
    `import * as m from 'reckit'; import { createRequire } from 'node:module';
     ${KINDS}
     const c = createRequire(process.cwd() + '/')('reckit');
     kinds.sameInstance = String(m.CosineIndex === c.CosineIndex && m.default === c && m.tabular === c.tabular);
     console.log(JSON.stringify(kinds));`,
    true,
  );
  for (const n of [...CLASSES, ...FUNCTIONS]) {
    assert.is(cjs[n], 'function', `require('reckit').${n}`);
    assert.is(esm[n], 'function', `import { ${n} } from 'reckit'`);
  }
  for (const [ns, names] of Object.entries(NAMESPACES)) {
    assert.is(cjs[ns], 'object', `require('reckit').${ns}`);
    assert.is(esm[ns], 'object', `import { ${ns} } from 'reckit'`);
    for (const n of names) {
      assert.is(cjs[`${ns}.${n}`], 'function', `require('reckit').${ns}.${n}`);
      assert.is(esm[`${ns}.${n}`], 'function', `import { ${ns} } from 'reckit': ${ns}.${n}`);
    }
  }
  assert.is(esm.sameInstance, 'true', 'the ESM face re-exports the CommonJS module');
});

test('the published declarations type-check a consumer, as ESM and as CommonJS', () => {
  const names = [...CLASSES, ...FUNCTIONS, ...Object.keys(NAMESPACES)];
  const uses = (m: string) =>
    [
      `const classes: Array<{ prototype: object }> = [${CLASSES.map((n) => `${m}${n}`).join(', ')}];`,
      `const fns: Array<(...a: never[]) => unknown> = [${FUNCTIONS.map((n) => `${m}${n}`).join(', ')}];`,
      `const index: ${m}CosineIndex = new ${m}CosineIndex({ dim: 4 });`,
      `const table: ${m}EmbeddingTable | null = null; const model: ${m}Recommender | null = null;`,
      `const g: typeof ${m}ops.gemm = ${m}ops.gemm; const q: typeof ${m}tabular.qualityReport = ${m}qualityReport;`,
      `export const used = [classes, fns, index, table, model, g, q];`,
    ].join('\n');
  writeFileSync(join(project, 'esm.mts'), `import { ${[...names, 'Recommender'].join(', ')} } from 'reckit';\n${uses('')}\n`);
  writeFileSync(join(project, 'cjs.cts'), `import reckit = require('reckit');\n${uses('reckit.')}\n`);
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')] },
      files: ['esm.mts', 'cjs.cts'],
    }),
  );
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(project, 'tsconfig.json')], { cwd: project, encoding: 'utf8' });
  assert.is(r.status, 0, `tsc on a consumer project:\n${r.stdout}${r.stderr}`);
});

test.after(() => rmSync(project, { recursive: true, force: true }));

test.run();
