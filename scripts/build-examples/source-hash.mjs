/**
 * The cache key of an app's build: a hash of everything that can change its output. When the hash
 * stored beside the output (`<output>.build-hash`) matches, the build is skipped.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { appsIn, groupOf } from './apps.mjs';
import { builtinWitRoot, clangVersion, componentizeVersion, jcoVersion } from './toolchain.mjs';

/** Bump when the build procedure itself changes in a way that changes outputs. */
const RECIPE_VERSION = 1;

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

/**
 * The hex sha256 of an app's sources (with its group's shared files), its WIT, the builtin WASI WIT
 * and the toolchain version (componentize-js, or clang + jco).
 */
export async function sourceHash(appDir, recipe) {
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
