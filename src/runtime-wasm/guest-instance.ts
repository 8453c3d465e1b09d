/**
 * One instantiated component inside an executor worker: instantiate, serve HTTP requests, or run a
 * command. An instance that exits or traps is dead for good; the runtime decides what happens next.
 */
import { GuestExit, createHostImports, type OutputSink } from './host-imports.js';
import { GuestCallError, serveHttpRequest, type IncomingHandlerExport } from './host-http.js';
import type { InstanceEnd, InstanceExports, InstanceSpec, WireRequest, WireResponse } from './executor-protocol.js';
import type { WasiShim } from './wasi-shim.js';
import { wasmGlobal, type CoreModule } from './wasm-global.js';

/** The shape of a jco transpiled module built with `instantiation: 'async'`. */
interface TranspiledModule {
  instantiate(
    getCoreModule: (name: string) => CoreModule,
    imports: Record<string, unknown>,
  ): Promise<Record<string, unknown>> | Record<string, unknown>;
}

interface RunExport {
  run(): unknown;
}

/** Thrown by {@link GuestInstance} methods once the instance has ended. */
export class InstanceEndedError extends Error {
  constructor(readonly end: InstanceEnd) {
    super(end.kind === 'exit' ? `instance exited with code ${end.code}` : `instance trapped: ${end.message}`);
    this.name = 'InstanceEndedError';
  }
}

/** Maps whatever unwound out of a guest call to how the instance ended. */
export function classifyGuestFailure(err: unknown): InstanceEnd {
  const reason = err instanceof GuestCallError ? err.reason : err;
  if (reason instanceof GuestExit) return { kind: 'exit', code: reason.code };
  if (reason instanceof wasmGlobal.RuntimeError) {
    return { kind: 'trap', message: reason.message.startsWith('wasm trap') ? reason.message : `wasm trap: ${reason.message}` };
  }
  return { kind: 'trap', message: reason instanceof Error ? reason.message : String(reason) };
}

/** Finds an export by interface name, versioned (`wasi:http/incoming-handler@0.2.12`) or not. */
function findExport<T>(exports: Record<string, unknown>, iface: string, alias: string): T | undefined {
  const key = Object.keys(exports).find((k) => k === iface || k.startsWith(`${iface}@`)) ?? (alias in exports ? alias : undefined);
  return key === undefined ? undefined : (exports[key] as T);
}

export class GuestInstance {
  #ended: InstanceEnd | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly id: string,
    private readonly shim: WasiShim,
    private readonly http: IncomingHandlerExport | undefined,
    private readonly command: RunExport | undefined,
  ) {}

  /** Instantiates the component of `spec` with the host imports its grant allows. */
  static async create(spec: InstanceSpec, shim: WasiShim, onOutput: OutputSink): Promise<GuestInstance> {
    const mod = (await import(spec.jsUrl)) as TranspiledModule;
    const imports = createHostImports(shim, spec.grant, onOutput);
    const exports = await mod.instantiate((name) => {
      const m = spec.modules[name];
      if (!m) throw new Error(`transpiled component asks for unknown core module ${name}`);
      return m;
    }, imports);
    const http = findExport<IncomingHandlerExport>(exports, 'wasi:http/incoming-handler', 'incomingHandler');
    const command = findExport<RunExport>(exports, 'wasi:cli/run', 'run');
    return new GuestInstance(spec.instanceId, shim, http, command);
  }

  get exports(): InstanceExports {
    return { http: this.http !== undefined, run: this.command !== undefined };
  }

  get ended(): InstanceEnd | undefined {
    return this.#ended;
  }

  /**
   * Serves one request. Requests are serialized per instance: a component instance is not
   * re-entrant, and the in-memory response conversion has await points between guest calls.
   */
  handle(req: WireRequest): Promise<WireResponse> {
    const next = this.#queue.then(() => this.#handleNow(req));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #handleNow(req: WireRequest): Promise<WireResponse> {
    if (this.#ended) throw new InstanceEndedError(this.#ended);
    if (!this.http) throw new Error('component does not export wasi:http/incoming-handler');
    try {
      return await serveHttpRequest(this.shim, this.http, req);
    } catch (err) {
      if (err instanceof GuestCallError) {
        this.#ended = classifyGuestFailure(err);
        throw new InstanceEndedError(this.#ended);
      }
      throw err;
    }
  }

  /** Runs a command's `wasi:cli/run#run` to completion (blocks this worker while it runs). */
  run(): InstanceEnd {
    if (this.#ended) return this.#ended;
    if (!this.command) throw new Error('component does not export wasi:cli/run');
    try {
      const result = this.command.run();
      // jco returns `undefined` for `ok` and throws for `err`; accept a result object too.
      const failed = typeof result === 'object' && result !== null && 'tag' in result && result.tag === 'err';
      this.#ended = { kind: 'exit', code: failed ? 1 : 0 };
    } catch (err) {
      const end = classifyGuestFailure(err);
      // An `err` result surfaces as a thrown ComponentError: that is exit code 1, not a trap.
      const isResultErr = err instanceof Error && err.name === 'ComponentError';
      this.#ended = isResultErr ? { kind: 'exit', code: 1 } : end;
    }
    return this.#ended;
  }
}
