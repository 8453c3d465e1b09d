/**
 * Transpiles each component once per digest and keeps the result:
 * - on disk at `<dir>/<hex>/` (`component.js`, core `.wasm` files, `meta.json`), written into a
 *   temporary folder and renamed into place, so a crash never leaves a half-written entry and a
 *   restarted agent reuses it;
 * - in memory as compiled `WebAssembly.Module`s, which executors receive by postMessage (no
 *   recompiling per instance or per worker). A memory limit needs its own compile (the modules'
 *   memory maximum is rewritten first): one per digest and limit, shared by every pod using it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from '../api/index.js';
import { spawnWorker } from './worker-entry.js';
import type { TranspileJob, TranspileOutcome } from './transpile-worker.js';
import { limitModuleMemory, limitPages } from './memory-limit.js';
import { wasmGlobal, type CoreModule } from './wasm-global.js';

/** A transpiled component ready to instantiate. */
export interface TranspiledComponent {
  digest: string;
  /** `file:` URL of the generated bindings (`component.mjs`). */
  jsUrl: string;
  /** Compiled core modules by the file name the bindings ask for. */
  modules: Record<string, CoreModule>;
  /** Exported interface names (`wasi:http/incoming-handler@0.2.12`, `wasi:cli/run@0.2.x`, ...). */
  exports: string[];
  /** Folder of the transpiled files. */
  dir: string;
  /** Core module file names. */
  coreModules: string[];
}

/** Compiled core modules for one memory limit; `key` names them to executors. */
export interface CompiledModules {
  key: string;
  modules: Record<string, CoreModule>;
}

interface Meta {
  exports: string[];
  coreModules: string[];
}

/** The bindings' module name; jco generates `<NAME>.js`. */
const NAME = 'component';
/** Stored as `.mjs`: the cache folder has no package.json saying its `.js` files are ES modules. */
const JS_FILE = `${NAME}.mjs`;

/**
 * Generated bindings test `process.env.JCO_DEBUG` on every boundary call (10–20% of a request's
 * CPU in a worker, where `process.env` is a copy behind an accessor). We never debug through it.
 */
const JCO_DEBUG_CHECK = 'if (!globalThis?.process?.env?.JCO_DEBUG) { return; }';

/** jco refused the bytes (not a component, malformed, unsupported): jco's message. */
export class TranspileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TranspileError';
  }
}

export class TranspileCache {
  readonly #dir: string;
  readonly #logger: Logger;
  readonly #loaded = new Map<string, Promise<TranspiledComponent>>();
  readonly #limited = new Map<string, Promise<CompiledModules>>();

  constructor(dir: string, logger: Logger) {
    this.#dir = dir;
    this.#logger = logger;
  }

  /** The transpiled form of the component at `wasmPath` (digest `sha256:<hex>`); throws with jco's message. */
  get(digest: string, wasmPath: string): Promise<TranspiledComponent> {
    let p = this.#loaded.get(digest);
    if (!p) {
      p = this.#load(digest, wasmPath);
      this.#loaded.set(digest, p);
      // A failure is not cached in memory: a later attempt may succeed (e.g. disk was full).
      p.catch(() => this.#loaded.delete(digest));
    }
    return p;
  }

  /**
   * The component's modules compiled for a linear-memory limit (the unlimited ones without).
   * Throws MemoryLimitError when the component needs more memory than the limit at start.
   */
  modulesFor(component: TranspiledComponent, memoryLimitBytes: number | undefined): Promise<CompiledModules> {
    if (memoryLimitBytes === undefined) return Promise.resolve({ key: component.digest, modules: component.modules });
    const pages = limitPages(memoryLimitBytes);
    const key = `${component.digest}#${pages}p`;
    let p = this.#limited.get(key);
    if (!p) {
      p = this.#compileLimited(component, key, pages);
      this.#limited.set(key, p);
      p.catch(() => this.#limited.delete(key));
    }
    return p;
  }

  async #compileLimited(component: TranspiledComponent, key: string, pages: number): Promise<CompiledModules> {
    const started = performance.now();
    const modules: Record<string, CoreModule> = {};
    for (const file of component.coreModules) {
      const bytes = new Uint8Array(await readFile(join(component.dir, file)));
      modules[file] = await wasmGlobal.compile(limitModuleMemory(bytes, pages));
    }
    this.#logger.debug({ digest: component.digest, maxPages: pages, ms: Math.round(performance.now() - started) }, 'compiled core modules');
    return { key, modules };
  }

  async #load(digest: string, wasmPath: string): Promise<TranspiledComponent> {
    const hex = digest.replace(/^sha256:/, '');
    const dir = join(this.#dir, hex);
    if (!existsSync(join(dir, 'meta.json'))) await this.#transpileToDisk(hex, wasmPath, dir);
    const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as Meta;
    const started = performance.now();
    const modules: Record<string, CoreModule> = {};
    for (const file of meta.coreModules) modules[file] = await wasmGlobal.compile(await readFile(join(dir, file)));
    this.#logger.debug({ digest, ms: Math.round(performance.now() - started) }, 'compiled core modules');
    return { digest, jsUrl: pathToFileURL(join(dir, JS_FILE)).href, modules, exports: meta.exports, dir, coreModules: meta.coreModules };
  }

  async #transpileToDisk(hex: string, wasmPath: string, dir: string): Promise<void> {
    const started = performance.now();
    const outcome = await runTranspileWorker({ bytes: await readFile(wasmPath), name: NAME });
    if (!outcome.ok) throw new TranspileError(outcome.message);
    const tmp = join(this.#dir, `.tmp-${hex}-${randomBytes(4).toString('hex')}`);
    await mkdir(tmp, { recursive: true });
    try {
      const coreModules: string[] = [];
      for (const [file, data] of Object.entries(outcome.files)) {
        if (file.endsWith('.wasm')) {
          coreModules.push(file);
          await writeFile(join(tmp, file), data);
        } else if (file === `${NAME}.js`) {
          await writeFile(join(tmp, JS_FILE), Buffer.from(data).toString('utf8').replace(JCO_DEBUG_CHECK, 'return;'));
        }
      }
      const meta: Meta = { exports: outcome.exports, coreModules };
      await writeFile(join(tmp, 'meta.json'), JSON.stringify(meta));
      try {
        await rename(tmp, dir);
      } catch (err) {
        // Another runtime (or a concurrent call) won the race: its entry is as good as ours.
        if (!existsSync(join(dir, 'meta.json'))) throw err;
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    this.#logger.info({ digest: `sha256:${hex}`, ms: Math.round(performance.now() - started) }, 'transpiled component');
  }
}

function runTranspileWorker(job: TranspileJob): Promise<TranspileOutcome> {
  return new Promise((resolve, reject) => {
    const worker = spawnWorker('transpile-worker', { workerData: job });
    let settled = false;
    worker.once('message', (outcome: TranspileOutcome) => {
      settled = true;
      resolve(outcome);
      void worker.terminate();
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`transpile worker exited with code ${code}`));
    });
  });
}
