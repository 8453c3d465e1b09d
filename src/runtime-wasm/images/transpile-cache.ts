/**
 * Transpiles each component once per digest and keeps the result:
 * - on disk at `<dir>/<hex>/` (`component.mjs`, core `.wasm` files, `meta.json` with each file's
 *   size and sha256), written into a temporary folder, flushed and renamed into place (src/durable),
 *   so neither a crash nor a power cut leaves a half-written entry and a restarted agent reuses it.
 *   An entry is checked against its `meta.json` the first time a process loads it; a torn one
 *   (missing or unreadable `meta.json`, a file missing, truncated or changed) is removed and the
 *   component transpiled again, with a log line;
 * - in memory as compiled `WebAssembly.Module`s, which executors receive by postMessage (no
 *   recompiling per instance or per worker). A memory limit needs its own compile (the modules'
 *   memory maximum is rewritten first): one per digest and limit, shared by every pod using it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { errorMessage, type Logger } from '../../api/index.js';
import { publishDurable } from '../../durable/index.js';
import { spawnWorker } from '../../platform/index.js';
import type { TranspileJob, TranspileOutcome } from './transpile-worker.js';
import { digestOf } from './cache-verify.js';
import { definedMemoryMaxima, limitModuleMemory, limitPages } from '../memory/memory-limit.js';
import { type Meta, cleanTemporaries, readVerifiedMeta } from './transpile-entry.js';
import { wasmGlobal, type CoreModule } from '../wasm-global.js';

/** A transpiled component ready to instantiate. */
export interface TranspiledComponent {
  digest: string;
  /** `file:` URL of the generated bindings (`component.mjs`). */
  jsUrl: string;
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
  /** Linear memories the modules define (each bounded by the limit; usually one). */
  memories: number;
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

/**
 * The transpile worker was stopped before jco finished: past its deadline, or out of heap. The
 * component may be valid; it is refused because transpiling it costs more than the node allows.
 */
export class TranspileAbortedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TranspileAbortedError';
  }
}

/** Default deadline of one transpile (a large StarlingMonkey component takes 1–3 s on a Pi-class CPU). */
export const DEFAULT_TRANSPILE_TIMEOUT_MS = 120_000;
/**
 * Default V8 old-generation heap of the transpile worker. jco holds the component, its parse and the
 * generated files at once: about 10× a component's size, so 768 MiB is ample for the largest
 * components seen (12 MB, StarlingMonkey), and a hostile one cannot take the device's memory.
 */
export const DEFAULT_TRANSPILE_HEAP_MB = 768;

/** Bounds of the transpile worker. */
export interface TranspileLimits {
  /** The worker is terminated past this (default DEFAULT_TRANSPILE_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Its `resourceLimits.maxOldGenerationSizeMb` (default DEFAULT_TRANSPILE_HEAP_MB). */
  heapMb?: number;
}

export class TranspileCache {
  readonly #dir: string;
  readonly #logger: Logger;
  readonly #limits: Required<TranspileLimits>;
  readonly #loaded = new Map<string, Promise<TranspiledComponent>>();
  readonly #limited = new Map<string, Promise<CompiledModules>>();

  constructor(dir: string, logger: Logger, limits: TranspileLimits = {}) {
    this.#dir = dir;
    this.#logger = logger;
    this.#limits = {
      timeoutMs: limits.timeoutMs ?? DEFAULT_TRANSPILE_TIMEOUT_MS,
      heapMb: limits.heapMb ?? DEFAULT_TRANSPILE_HEAP_MB,
    };
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

  /** Removes temporary folders left by interrupted transpiles. */
  clean(): Promise<void> {
    return cleanTemporaries(this.#dir, this.#logger);
  }

  /**
   * The component's modules compiled for a linear-memory limit (every Wasm container has one: its
   * own or the node's default). Throws MemoryLimitError when the component needs more at start.
   */
  modulesFor(component: TranspiledComponent, memoryLimitBytes: number): Promise<CompiledModules> {
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

  /**
   * Forgets the compiled modules (the runtime has no container left: nothing holds them). The
   * transpiled files stay on disk and are compiled again by the next container using them.
   */
  dropCompiled(): void {
    this.#limited.clear();
  }

  async #compileLimited(component: TranspiledComponent, key: string, pages: number): Promise<CompiledModules> {
    const started = performance.now();
    const modules: Record<string, CoreModule> = {};
    let memories = 0;
    for (const file of component.coreModules) {
      const bytes = new Uint8Array(await readFile(join(component.dir, file)));
      memories += definedMemoryMaxima(bytes).length;
      modules[file] = await wasmGlobal.compile(limitModuleMemory(bytes, pages));
    }
    this.#logger.debug(
      { digest: component.digest, maxPages: pages, ms: Math.round(performance.now() - started) },
      'compiled core modules',
    );
    return { key, modules, memories };
  }

  async #load(digest: string, wasmPath: string): Promise<TranspiledComponent> {
    const hex = digest.replace(/^sha256:/, '');
    const dir = join(this.#dir, hex);
    let meta: Meta | undefined;
    if (existsSync(dir)) {
      const checked = await readVerifiedMeta(dir);
      if (checked.ok) meta = checked.meta;
      else {
        this.#logger.warn(
          { digest, dir, why: checked.why },
          'transpiled component found torn (or of an older layout); removing it and transpiling again',
        );
        await rm(dir, { recursive: true, force: true });
      }
    }
    if (!meta) meta = await this.#transpileToDisk(hex, wasmPath, dir);
    // Compiled per memory limit only (modulesFor): every container has one.
    return {
      digest,
      jsUrl: pathToFileURL(join(dir, JS_FILE)).href,
      exports: meta.exports,
      dir,
      coreModules: meta.coreModules,
    };
  }

  async #transpileToDisk(hex: string, wasmPath: string, dir: string): Promise<Meta> {
    const started = performance.now();
    const outcome = await runTranspileWorker({ bytes: await readFile(wasmPath), name: NAME }, this.#limits);
    if (!outcome.ok) throw new TranspileError(outcome.message);
    const tmp = join(this.#dir, `.tmp-${hex}-${randomBytes(4).toString('hex')}`);
    await mkdir(tmp, { recursive: true });
    const meta: Meta = { version: 2, exports: outcome.exports, coreModules: [], files: {} };
    try {
      for (const [file, data] of Object.entries(outcome.files)) {
        let name: string;
        let bytes: Uint8Array;
        if (file.endsWith('.wasm')) {
          meta.coreModules.push(file);
          [name, bytes] = [file, data];
        } else if (file === `${NAME}.js`) {
          [name, bytes] = [
            JS_FILE,
            Buffer.from(Buffer.from(data).toString('utf8').replace(JCO_DEBUG_CHECK, 'return;')),
          ];
        } else continue;
        await writeFile(join(tmp, name), bytes);
        meta.files[name] = digestOf(bytes);
      }
      // Written last: an entry with a meta.json is complete (and says what complete is).
      await writeFile(join(tmp, 'meta.json'), JSON.stringify(meta));
      try {
        await publishDurable(tmp, dir);
      } catch (err) {
        // Another runtime (or a concurrent call) won the race: its entry is as good as ours.
        if (!existsSync(join(dir, 'meta.json')))
          throw new Error(`cannot store the transpiled component: ${errorMessage(err)}`, { cause: err });
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    this.#logger.info({ digest: `sha256:${hex}`, ms: Math.round(performance.now() - started) }, 'transpiled component');
    return meta;
  }
}

/**
 * Runs jco in a worker bounded in time and heap: a hostile component must not hold a core or the
 * device's memory forever. Past the deadline the worker is terminated; a worker out of heap dies on
 * its own (ERR_WORKER_OUT_OF_MEMORY); both reject with TranspileAbortedError naming the bound.
 */
function runTranspileWorker(job: TranspileJob, limits: Required<TranspileLimits>): Promise<TranspileOutcome> {
  return new Promise((resolve, reject) => {
    const worker = spawnWorker(new URL('./transpile-worker.js', import.meta.url), {
      workerData: job,
      resourceLimits: { maxOldGenerationSizeMb: limits.heapMb },
    });
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(() => {
      settle(() => reject(new TranspileAbortedError(`jco transpile exceeded its deadline of ${limits.timeoutMs} ms`)));
      void worker.terminate();
    }, limits.timeoutMs);
    worker.once('message', (outcome: TranspileOutcome) => {
      settle(() => resolve(outcome));
      void worker.terminate();
    });
    worker.once('error', (err: Error & { code?: string }) => {
      settle(() =>
        reject(
          err.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new TranspileAbortedError(`jco transpile ran out of memory (its heap is limited to ${limits.heapMb} MiB)`)
            : err,
        ),
      );
    });
    worker.once('exit', (code) => {
      settle(() => reject(new Error(`transpile worker exited with code ${code}`)));
    });
  });
}
