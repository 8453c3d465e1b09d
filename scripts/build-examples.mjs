#!/usr/bin/env node
/**
 * Builds the example Wasm components under examples/wasm-apps/ (`npm run build:examples`).
 *
 * An app is built when its folder holds a `build.json` recipe (a folder of examples/wasm-apps/, or one
 * level deeper in a group folder without a recipe of its own, e.g. shop/frontend, shop/cart):
 *   { "source": "app.js", "wit": "wit", "world": "hello", "output": "dist/hello.wasm" }
 * or, for C (clang + wasi-libc, then `jco embed` + `jco new` with the preview1 adapter):
 *   { "language": "c", "source": "hello.c", "wit": "wit", "world": "hello",
 *     "output": "dist/hello-c.wasm", "execModel": "reactor" | "command" }
 * The app's `wit/` folder holds only its own world; the `wasi:*` packages it uses come from jco's
 * builtin WIT snapshot (WASI 0.2.12, shipped in node_modules, so this works offline) and are copied
 * in as `deps/` at build time.
 *
 * The apps of a group may share source files kept in the group folder outside any app (a JS app
 * imports them as `../lib/x.js`): the build runs from the group folder, so they resolve, and they
 * count as the sources of each of its apps.
 *
 * Cached: a hash of the app's sources (with its group's shared files) + WIT + the builtin WIT + the
 * toolchain version (componentize-js, or clang + jco) is stored beside the output
 * (`<output>.build-hash`); when it matches, the app is skipped.
 *
 * Each build runs in its own child process: componentize-js peaks around 800 MB and does not give the
 * memory back, so a child per build returns it. Builds run side by side, up to the core count and
 * one per GB of memory (`--jobs N` or EDGEPLANE_BUILD_JOBS to choose); each child's output is
 * prefixed with its app's name, and a build still running says so every 15 s.
 *
 * With `--fixtures`, also the test components of src/runtime-wasm/testdata/ (`scripts/checks.sh` builds
 * them with the examples, side by side, so the serial Wasm unit tests do not build them one after another).
 *
 * Usage: node scripts/build-examples.mjs [app... | group... | path/to/app-folder...] [--fixtures] [--force] [--jobs N]
 *
 * The parts, in scripts/build-examples/: apps.mjs (which folders, their recipes), source-hash.mjs
 * (the cache key), toolchain.mjs (tools and versions), build-one.mjs (one component, run in a child
 * with `--one`), run-builds.mjs (the children side by side). This file is the command line and the
 * cache check, and the script each child runs.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRecipe, ROOT, selectApps } from './build-examples/apps.mjs';
import { buildOne } from './build-examples/build-one.mjs';
import { jobCount, runBuilds } from './build-examples/run-builds.mjs';
import { sourceHash } from './build-examples/source-hash.mjs';

async function main() {
  const args = process.argv.slice(2);
  const oneIdx = args.indexOf('--one');
  if (oneIdx >= 0) {
    await buildOne(resolve(args[oneIdx + 1] ?? ''));
    return;
  }
  const force = args.includes('--force');
  const wanted = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--jobs');
  const apps = await selectApps(wanted, args.includes('--fixtures'));

  // What needs building (the cache check is cheap; the builds are not).
  let failed = 0;
  const todo = [];
  for (const appDir of apps) {
    const name = basename(appDir);
    let recipe;
    let hash;
    try {
      recipe = await loadRecipe(appDir);
      hash = await sourceHash(appDir, recipe);
    } catch (err) {
      failed++;
      console.error(`FAILED ${name}: ${err instanceof Error ? err.message : err}`);
      continue;
    }
    const output = join(appDir, recipe.output);
    const hashFile = `${output}.build-hash`;
    const stored = existsSync(hashFile) ? (await readFile(hashFile, 'utf8')).trim() : '';
    const rel = relative(ROOT, output);
    if (!force && stored === hash && existsSync(output)) {
      console.log(`skipped ${name}: ${rel} is up to date`);
      continue;
    }
    todo.push({ appDir, name, output, hashFile, hash, rel });
  }
  if (todo.length === 0) {
    if (failed > 0) process.exitCode = 1;
    return;
  }
  const jobs = Math.min(todo.length, jobCount(args));
  // Each child runs this script with `--one <app>` (buildOne, above).
  failed = await runBuilds(fileURLToPath(import.meta.url), todo, jobs, failed);
  if (failed > 0) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
