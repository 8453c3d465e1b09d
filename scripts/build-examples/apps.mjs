/**
 * Where the buildable apps are and what their recipes say: an app is a folder with a `build.json`,
 * directly under examples/wasm-apps/ or one level deeper in a group folder that has no recipe of its
 * own (e.g. shop/frontend), or a test fixture under src/runtime-wasm/testdata/.
 */
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root (this file is scripts/build-examples/apps.mjs). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const APPS_DIR = join(ROOT, 'examples', 'wasm-apps');
export const FIXTURES_DIR = join(ROOT, 'src', 'runtime-wasm', 'testdata');

/** Reads and checks an app's `build.json`; throws naming the file and the bad key. */
export async function loadRecipe(appDir) {
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
export function groupOf(appDir) {
  const parent = dirname(appDir);
  return dirname(parent) === APPS_DIR && !existsSync(join(parent, 'build.json')) ? parent : undefined;
}

/** The app folders (holding a build.json) directly under `dir`, sorted. */
export async function appsIn(dir) {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, 'build.json')))
    .map((e) => join(dir, e.name))
    .sort();
}

/**
 * The app folders the command line asks for, in build order: the examples named (by app or group
 * name; all of them when nothing is named), then the folders given as paths, then with `fixtures`
 * the test components not already listed. Throws on a name that matches no example or a path
 * without a build.json.
 */
export async function selectApps(wanted, fixtures) {
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
  if (fixtures) {
    const dirs = (await readdir(FIXTURES_DIR)).sort().map((name) => join(FIXTURES_DIR, name));
    for (const dir of dirs) if (existsSync(join(dir, 'build.json')) && !apps.includes(dir)) apps.push(dir);
  }
  return apps;
}
