/**
 * Loaded with `node --import` (through NODE_OPTIONS, so every child process inherits it) by
 * `scripts/unit-node24.sh`: sends every load of the project's `better-sqlite3` to a copy of the same
 * version built for the running Node's ABI, in $EDGEPLANE_BETTER_SQLITE3. `node_modules` stays built
 * for the machine's Node, so both Node versions run from one checkout.
 *
 * `module.registerHooks` (Node >= 22.15) runs in-thread and sees `require` and `import` alike: the
 * bare specifier in a child started with tsx, and the absolute path vitest's module runner resolves.
 */
import { realpathSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const copy = process.env.EDGEPLANE_BETTER_SQLITE3;
if (copy) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const from = pathToFileURL(realpathSync(join(root, 'node_modules/better-sqlite3'))).href + '/';
  const to = pathToFileURL(realpathSync(copy)).href + '/';
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const resolved = nextResolve(specifier, context);
      return resolved.url.startsWith(from) ? { ...resolved, url: to + resolved.url.slice(from.length) } : resolved;
    },
  });
}
