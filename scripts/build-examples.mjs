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
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism, totalmem, tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const APPS_DIR = join(ROOT, 'examples', 'wasm-apps');
const FIXTURES_DIR = join(ROOT, 'src', 'runtime-wasm', 'testdata');
const WASI_VERSION = '0.2.12';
/** Bump when the build procedure itself changes in a way that changes outputs. */
const RECIPE_VERSION = 1;
/** What a C build needs from Debian/Ubuntu (clang, wasm-ld, wasi-libc, compiler-rt builtins). */
const C_TOOLCHAIN_PACKAGES = 'clang lld wasi-libc libclang-rt-dev-wasm32';

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

function builtinWitRoot() {
  return join(packageDir('@bytecodealliance/jco'), 'lib', 'wit', 'builtin', WASI_VERSION);
}

function componentizeVersion() {
  return JSON.parse(readFileSync(join(packageDir('@bytecodealliance/componentize-js'), 'package.json'), 'utf8'))
    .version;
}

function jcoVersion() {
  return JSON.parse(readFileSync(join(packageDir('@bytecodealliance/jco'), 'package.json'), 'utf8')).version;
}

/** `clang --version`'s first line, or an error naming the packages to install. */
function clangVersion() {
  try {
    return execFileSync('clang', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  } catch {
    throw new Error(`clang is not installed: C examples need it (apt-get install ${C_TOOLCHAIN_PACKAGES})`);
  }
}

/** Files beside an app's sources that do not go into its component (manifests, docs). */
const NOT_INPUTS = /\.(ya?ml|md)$/i;

/** All files under `dir` (recursive), sorted, skipping build outputs, manifests and docs. */
async function listFiles(dir, skip) {
  const out = [];
  async function walk(d) {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (skip.has(relative(dir, p))) continue;
      if (entry.isDirectory()) await walk(p);
      else if (entry.isFile() && !NOT_INPUTS.test(entry.name)) out.push(p);
    }
  }
  await walk(dir);
  return out.sort();
}

async function hashTree(hash, dir, skip = new Set()) {
  for (const file of await listFiles(dir, skip)) {
    hash.update(relative(dir, file).split('\\').join('/') + '\0');
    hash.update(await readFile(file));
    hash.update('\0');
  }
}

async function loadRecipe(appDir) {
  const recipe = JSON.parse(await readFile(join(appDir, 'build.json'), 'utf8'));
  for (const key of ['source', 'wit', 'world', 'output']) {
    if (typeof recipe[key] !== 'string' || recipe[key] === '') {
      throw new Error(`${relative(ROOT, join(appDir, 'build.json'))}: "${key}" must be a non-empty string`);
    }
  }
  if (recipe.language !== undefined && recipe.language !== 'c' && recipe.language !== 'js') {
    throw new Error(`${relative(ROOT, join(appDir, 'build.json'))}: "language" must be "js" (default) or "c"`);
  }
  return recipe;
}

/** The group folder an app belongs to (examples/wasm-apps/<group>/<app>), or undefined. */
function groupOf(appDir) {
  const parent = dirname(appDir);
  return dirname(parent) === APPS_DIR && !existsSync(join(parent, 'build.json')) ? parent : undefined;
}

/** The app folders (holding a build.json) directly under `dir`, sorted. */
async function appsIn(dir) {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, 'build.json')))
    .map((e) => join(dir, e.name))
    .sort();
}

async function sourceHash(appDir, recipe) {
  const hash = createHash('sha256');
  const toolchain =
    recipe.language === 'c' ? `${clangVersion()}\0jco@${jcoVersion()}` : `componentize-js@${componentizeVersion()}`;
  hash.update(`recipe-v${RECIPE_VERSION}\0${toolchain}\0`);
  // Everything in the app folder but its outputs (and node_modules, should an app ever have one).
  const outTop = recipe.output.split('/')[0];
  await hashTree(hash, appDir, new Set([outTop, 'node_modules']));
  // ... and its group's shared files (everything in the group folder outside its apps).
  const group = groupOf(appDir);
  if (group) {
    hash.update('\0group\0');
    await hashTree(hash, group, new Set([...(await appsIn(group)).map((a) => relative(group, a)), 'node_modules']));
  }
  await hashTree(hash, builtinWitRoot());
  return hash.digest('hex');
}

/** The app's own WIT as the root package with jco's builtin WASI packages as deps/, under `work`. */
async function assembleWit(appDir, recipe, work) {
  const witDir = join(work, 'wit');
  await cp(join(appDir, recipe.wit), witDir, { recursive: true });
  const builtin = builtinWitRoot();
  for (const pkg of await readdir(builtin)) {
    await mkdir(join(witDir, 'deps', `${pkg}-${WASI_VERSION}`), { recursive: true });
    await cp(join(builtin, pkg, 'package.wit'), join(witDir, 'deps', `${pkg}-${WASI_VERSION}`, 'package.wit'));
  }
  return witDir;
}

/** Runs componentize-js for one JavaScript app. */
async function componentizeJs(appDir, recipe, witDir) {
  const { componentize } = await import('@bytecodealliance/componentize-js');
  const { component } = await componentize({
    sourcePath: join(appDir, recipe.source),
    witPath: witDir,
    worldName: recipe.world,
  });
  return component;
}

/**
 * Builds a C app: clang (wasm32-wasi, wasi-libc) to a core module, then `jco embed` (the world's
 * component type) and `jco new` with the preview1 adapter of the recipe's exec model.
 */
async function componentizeC(appDir, recipe, witDir, work) {
  clangVersion();
  const execModel = recipe.execModel ?? 'reactor';
  if (execModel !== 'reactor' && execModel !== 'command')
    throw new Error(`build.json: "execModel" must be "reactor" or "command"`);
  const core = join(work, 'core.wasm');
  const args = [
    '--target=wasm32-wasi',
    '-O2',
    `-mexec-model=${execModel}`,
    '-Wl,--strip-all',
    '-o',
    core,
    join(appDir, recipe.source),
  ];
  const cc = spawnSync('clang', args, { encoding: 'utf8' });
  if (cc.error || cc.status !== 0) {
    const out = `${cc.error?.message ?? ''}${cc.stderr ?? ''}`;
    const hint =
      /wasm-ld|lld/.test(out) && /not found|No such file|unable to execute/.test(out)
        ? 'wasm-ld (lld) is missing'
        : /\.h' file not found|stdlib\.h|string\.h/.test(out)
          ? 'the wasi-libc headers are missing'
          : /libclang_rt\.builtins|compiler-rt/.test(out)
            ? 'the wasm32 compiler-rt builtins are missing'
            : /-lc\b|crt1/.test(out)
              ? 'wasi-libc is missing'
              : undefined;
    throw new Error(
      `clang failed${hint ? ` (${hint})` : ''}; C examples need: apt-get install ${C_TOOLCHAIN_PACKAGES}\n${out.trim()}`,
    );
  }
  const jco = await import('@bytecodealliance/jco');
  const embedded = await jco.componentEmbed({ binary: await readFile(core), witPath: witDir, world: recipe.world });
  const adapterPath = execModel === 'command' ? jco.preview1AdapterCommandPath() : jco.preview1AdapterReactorPath();
  return jco.componentNew(embedded, [['wasi_snapshot_preview1', await readFile(adapterPath)]]);
}

/** Builds one app (in this process: the parent spawns one child per app). */
async function buildOne(appDir) {
  const recipe = await loadRecipe(appDir);
  const work = await mkdtemp(join(tmpdir(), 'edgeplane-wit-'));
  try {
    const witDir = await assembleWit(appDir, recipe, work);
    const component =
      recipe.language === 'c'
        ? await componentizeC(appDir, recipe, witDir, work)
        : await componentizeJs(appDir, recipe, witDir);
    const output = join(appDir, recipe.output);
    await mkdir(dirname(output), { recursive: true });
    const tmp = `${output}.tmp-${process.pid}`;
    await writeFile(tmp, component);
    await rename(tmp, output);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Builds side by side: --jobs N, EDGEPLANE_BUILD_JOBS, or the cores, at most one per GB of memory. */
function jobCount(args) {
  const i = args.indexOf('--jobs');
  const asked = Number(i >= 0 ? args[i + 1] : process.env.EDGEPLANE_BUILD_JOBS);
  if (Number.isInteger(asked) && asked > 0) return asked;
  return Math.max(1, Math.min(availableParallelism(), Math.floor(totalmem() / 2 ** 30)));
}

/** Runs one build in a child process, its output prefixed with the app's name; resolves to success. */
function buildInChild(item) {
  item.started = Date.now();
  console.log(`building ${item.name} → ${item.rel} ...`);
  return new Promise((resolveDone) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--one', item.appDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // From the group folder, so an app's imports of the group's shared files resolve (componentize-js
      // lets the source see the working directory when the source is under it).
      ...(groupOf(item.appDir) ? { cwd: groupOf(item.appDir) } : {}),
      env: { ...process.env, CI: 'true' },
    });
    for (const [from, to] of [
      [child.stdout, process.stdout],
      [child.stderr, process.stderr],
    ]) {
      let rest = '';
      from.setEncoding('utf8');
      from.on('data', (chunk) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) to.write(`  [${item.name}] ${line}\n`);
      });
      from.on('end', () => {
        if (rest.trim()) to.write(`  [${item.name}] ${rest}\n`);
      });
    }
    const progress = setInterval(() => {
      console.log(`  ... still building ${item.name} (${Math.round((Date.now() - item.started) / 1000)} s)`);
    }, 15_000);
    child.on('close', (code, signal) => {
      clearInterval(progress);
      if (code !== 0) console.error(`FAILED ${item.name} (exit ${code ?? signal})`);
      resolveDone(code === 0);
    });
  });
}

async function main() {
  const args = process.argv.slice(2);
  const oneIdx = args.indexOf('--one');
  if (oneIdx >= 0) {
    await buildOne(resolve(args[oneIdx + 1] ?? ''));
    return;
  }
  const force = args.includes('--force');
  const wanted = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--jobs');
  // An argument with a slash is an app folder anywhere (test fixtures); others name examples.
  const paths = wanted.filter((w) => w.includes('/')).map((w) => resolve(w));
  const names = wanted.filter((w) => !w.includes('/'));
  const apps = [];
  for (const entry of await readdir(APPS_DIR, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = join(APPS_DIR, entry.name);
    // An app, or a group of apps (named by the group's name or each app's).
    const members = existsSync(join(dir, 'build.json')) ? [dir] : await appsIn(dir);
    for (const app of members) {
      if (wanted.length > 0 && !names.includes(entry.name) && !names.includes(basename(app))) continue;
      apps.push(app);
    }
  }
  apps.sort();
  const unknown = names.filter((w) => !apps.some((a) => basename(a) === w || basename(dirname(a)) === w));
  if (unknown.length > 0)
    throw new Error(`no buildable app named ${unknown.join(', ')} under ${relative(ROOT, APPS_DIR)}`);
  for (const p of paths) {
    if (!existsSync(join(p, 'build.json'))) throw new Error(`${p} has no build.json`);
    apps.push(p);
  }
  if (args.includes('--fixtures')) {
    const fixtures = (await readdir(FIXTURES_DIR)).sort().map((name) => join(FIXTURES_DIR, name));
    for (const dir of fixtures) if (existsSync(join(dir, 'build.json')) && !apps.includes(dir)) apps.push(dir);
  }

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
  console.log(
    `building ${todo.length} component${todo.length === 1 ? '' : 's'}, ${jobs} at a time ` +
      '(a first build takes about 20-40 s each on a small machine; later runs reuse the cached outputs)',
  );
  const started = Date.now();
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < todo.length) {
      const item = todo[next++];
      const ok = await buildInChild(item);
      done++;
      if (!ok) {
        failed++;
        continue;
      }
      await writeFile(item.hashFile, item.hash + '\n');
      const { size } = statSync(item.output);
      const shown = size >= 1e6 ? `${(size / 1e6).toFixed(1)} MB` : `${(size / 1e3).toFixed(0)} KB`;
      console.log(
        `built ${item.name}: ${item.rel} (${shown}) in ${((Date.now() - item.started) / 1000).toFixed(1)} s ` +
          `[${done}/${todo.length}]`,
      );
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  console.log(`built ${todo.length - failed}/${todo.length} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (failed > 0) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
