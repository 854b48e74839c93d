/**
 * Loads the native addon: a prebuild from `prebuilds/<platform>-<arch>/` or a source build from
 * `build/Release`, found by node-gyp-build. A failure says what was tried and why it failed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { reckitError } from './errors';

/** The package root (this file lives in dist/lib/ when compiled, lib/ when run from source). */
export const packageRoot: string = (() => {
  let dir = __dirname;
  for (let i = 0; i < 4; i++) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'CMakeLists.txt'))) return dir;
    dir = path.dirname(dir);
  }
  return path.resolve(__dirname, '..', '..');
})();

/** The raw binding. Internal: the typed API in this package is the supported surface. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type NativeBinding = Record<string, any>;

function candidates(): string[] {
  const list: string[] = [];
  const prebuildDir = path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`);
  list.push(`${prebuildDir}/*.node`);
  list.push(path.join(packageRoot, 'build', 'Release', 'reckit.node'));
  list.push(path.join(packageRoot, 'build', 'Debug', 'reckit.node'));
  return list;
}

function load(): NativeBinding {
  // RECKIT_NATIVE_PATH: load this exact file (e.g. a sanitizer or CUDA build) instead of searching.
  const override = process.env.RECKIT_NATIVE_PATH;
  const resolved = override ? path.resolve(override) : findAddon();
  try {
    return require(resolved) as NativeBinding;
  } catch (error) {
    throw reckitError(
      'ERR_RECKIT_LOAD_FAILED',
      `reckit: found the native addon at ${resolved} but it failed to load: ${(error as Error).message}. ` +
        `It may have been built for another platform or C library; rebuild with \`npm rebuild reckit\`.`,
    );
  }
}

function findAddon(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const nodeGypBuild = require('node-gyp-build') as { resolve(dir: string): string };
    return nodeGypBuild.resolve(packageRoot);
  } catch (error) {
    throw reckitError(
      'ERR_RECKIT_LOAD_FAILED',
      `reckit: no native addon for ${process.platform}-${process.arch} (Node ${process.versions.node}, ` +
        `N-API ${process.versions.napi}). Tried:\n  ${candidates().join('\n  ')}\n` +
        `Build it from source with \`npm rebuild reckit\` (needs cmake and a C++17 compiler). ` +
        `Cause: ${(error as Error).message}`,
    );
  }
}

let binding: NativeBinding | undefined;

/** The loaded binding (loaded on first use). */
export function native(): NativeBinding {
  if (!binding) binding = load();
  return binding;
}
