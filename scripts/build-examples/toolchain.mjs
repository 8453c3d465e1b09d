/**
 * The build tools an example needs and their versions: jco's builtin WASI WIT, componentize-js for
 * JavaScript apps, clang + jco for C apps. The versions go into each app's cache hash, so a toolchain
 * upgrade rebuilds everything.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WASI_VERSION = '0.2.12';
/** What a C build needs from Debian/Ubuntu (clang, wasm-ld, wasi-libc, compiler-rt builtins). */
export const C_TOOLCHAIN_PACKAGES = 'clang lld wasi-libc libclang-rt-dev-wasm32';

/** The folder of an installed package (its `exports` may hide package.json, so walk up from main). */
function packageDir(name) {
  let dir = dirname(fileURLToPath(import.meta.resolve(name)));
  while (
    !existsSync(join(dir, 'package.json')) ||
    JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name !== name
  ) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the package folder of ${name}`);
    dir = up;
  }
  return dir;
}

/**
 * The folder of jco's builtin WIT snapshot of WASI_VERSION (one subfolder per `wasi:*` package),
 * shipped in node_modules so builds work offline.
 */
export function builtinWitRoot() {
  return join(packageDir('@bytecodealliance/jco'), 'lib', 'wit', 'builtin', WASI_VERSION);
}

/** The installed componentize-js version. */
export function componentizeVersion() {
  return JSON.parse(readFileSync(join(packageDir('@bytecodealliance/componentize-js'), 'package.json'), 'utf8'))
    .version;
}

/** The installed jco version. */
export function jcoVersion() {
  return JSON.parse(readFileSync(join(packageDir('@bytecodealliance/jco'), 'package.json'), 'utf8')).version;
}

/** `clang --version`'s first line, or an error naming the packages to install. */
export function clangVersion() {
  try {
    return execFileSync('clang', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  } catch {
    throw new Error(`clang is not installed: C examples need it (apt-get install ${C_TOOLCHAIN_PACKAGES})`);
  }
}
