/**
 * Builds one app's component, in the calling process: the WIT assembled with the builtin WASI
 * packages, then componentize-js (JavaScript) or clang + jco (C). The parent runs this in a child
 * per app (`--one`), see run-builds.mjs.
 */
import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadRecipe } from './apps.mjs';
import { builtinWitRoot, C_TOOLCHAIN_PACKAGES, clangVersion, WASI_VERSION } from './toolchain.mjs';

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

/**
 * Builds one app (in this process: the parent spawns one child per app) and writes its component to
 * the recipe's output, through a temporary file so a failed build leaves no half-written output.
 */
export async function buildOne(appDir) {
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
