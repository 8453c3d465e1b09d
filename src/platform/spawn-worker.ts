/**
 * Spawns a worker thread from an entry file named by URL, so that it works both from compiled
 * JavaScript (`dist/<area>/<room>/<name>.js`, what the agent runs) and from the TypeScript
 * sources under vitest/tsx (`src/<area>/<room>/<name>.ts`): the Wasm runtime's executors and
 * transpiler, the agent's certificate requests.
 *
 * Callers name the entry relative to their own module (`new URL('../worker/executor-worker.js',
 * import.meta.url)`): the relative layout of src/ and dist/ is the same, so one URL serves both.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** Starts the worker whose entry is `entry` (a `.js` URL; its `.ts` sibling when running from source). */
export function spawnWorker(entry: URL, options: WorkerOptions = {}): Worker {
  if (existsSync(fileURLToPath(entry))) return new Worker(entry, options);
  const ts = new URL(entry.href.replace(/\.js$/, '.ts'));
  if (!existsSync(fileURLToPath(ts))) throw new Error(`worker entry ${entry.href} not found (nor its .ts source)`);
  // Running from the .ts sources (tests, tsx; tsx is a dev dependency). A worker does not inherit
  // the parent's loader hooks and ignores `--import` in execArgv, so a small bootstrap registers
  // tsx's ESM hooks inside the worker, then loads the entry.
  const apiCjs = createRequire(import.meta.url).resolve('tsx/esm/api');
  const apiMjs = join(dirname(apiCjs), 'index.mjs');
  const api = pathToFileURL(existsSync(apiMjs) ? apiMjs : apiCjs).href;
  const bootstrap =
    `import(${JSON.stringify(api)})` +
    `.then((tsx) => { tsx.register(); return import(${JSON.stringify(ts.href)}); })` +
    `.catch((err) => { console.error(err); process.exit(1); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
