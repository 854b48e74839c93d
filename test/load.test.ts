import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT, runNode } from './helpers';

test('the CommonJS entry loads by package name and reports its version', () => {
  const out = runNode("const r = require('reckit'); console.log(JSON.stringify([typeof r.info, r.info().version]))");
  const [kind, version] = JSON.parse(out);
  assert.is(kind, 'function');
  assert.is(version, JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
});

test('the ESM entry loads by package name with named and default exports', () => {
  const out = runNode(
    "import { info, ops } from 'reckit'; import reckit from 'reckit'; " +
      'console.log(JSON.stringify([info().backend, ops.dot(new Float32Array([1, 2]), new Float32Array([3, 4])), reckit.info === info]))',
    {},
    ['--input-type=module', '-e'],
  );
  assert.equal(JSON.parse(out), ['cpu', 11, true]);
});

test('type declarations exist for both entry points', () => {
  for (const file of ['dist/lib/index.d.ts', 'dist/lib/index.d.mts']) {
    assert.ok(fs.existsSync(path.join(ROOT, file)), `${file} is missing`);
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  assert.is(pkg.exports['.'].import.types, './dist/lib/index.d.mts');
  assert.is(pkg.exports['.'].require.types, './dist/lib/index.d.ts');
});

test('a missing addon fails with a message that says what was tried', () => {
  const out = runNode(
    "try { require('./dist/lib/native.js').native() } catch (e) { console.log(JSON.stringify([e.code, e.message])) }",
    { RECKIT_NATIVE_PATH: path.join(ROOT, 'does-not-exist.node') },
  );
  const [code, message] = JSON.parse(out);
  assert.is(code, 'ERR_RECKIT_LOAD_FAILED');
  assert.match(message, 'does-not-exist.node');
});

test.run();
