/**
 * Spawns this folder's worker entry points so they work both from compiled JavaScript
 * (`dist/runtime-wasm/<name>.js`, what the agent runs) and from TypeScript sources under vitest/tsx
 * (`src/runtime-wasm/<name>.ts`).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** Starts the worker whose entry file is `./<name>.js` (or `.ts` when running from source). */
export function spawnWorker(name: string, options: WorkerOptions = {}): Worker {
  const js = new URL(`./${name}.js`, import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js, options);
  const ts = new URL(`./${name}.ts`, import.meta.url);
  if (!existsSync(fileURLToPath(ts))) throw new Error(`worker entry ${name} not found next to ${import.meta.url}`);
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
