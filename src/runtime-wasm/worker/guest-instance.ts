/**
 * One instantiated component inside an executor worker: serve HTTP requests (synchronously: a guest
 * call cannot be suspended on Node 20) or run a command. An instance that exits or traps is dead for
 * good; the runtime decides what happens next.
 */
import { ComponentHost, type CoreHandle } from '../host/component-host.js';
import { GuestExit } from '../host/cli.js';
import type { OutputSink } from '../host/context.js';
import { HostTrap, latin1Bytes, latin1String } from '../host/guest-memory.js';
import { HostBytes } from '../host/host-bytes.js';
import { SharedBytes } from '../host/io-resources.js';
import { IncomingRequest, ResponseOutparam } from '../host/http-resources.js';
import type { OutgoingHttpPolicy } from '../host/outgoing.js';
import { ResourceTable } from '../host/resource-table.js';
import { createShimImports } from './host-imports.js';
import type { InstanceEnd, InstanceExports, InstanceSpec, WireRequest } from '../executors/executor-protocol.js';
import type { WasiShim } from './wasi-shim.js';
import type { StdioPort } from '../stdio/index.js';
import { wasmGlobal, type CoreModule } from '../wasm-global.js';

/** The shape of a jco transpiled module built with `instantiation: 'async'`. */
export interface TranspiledModule {
  instantiate(
    getCoreModule: (name: string) => CoreModule,
    imports: Record<string, unknown>,
    instantiateCore: ComponentHost['instantiateCore'],
  ): Promise<Record<string, unknown>> | Record<string, unknown>;
}

interface RunExport {
  run(): unknown;
}

/** A successful HTTP answer (headers flat, latin1). */
export interface GuestResponse {
  status: number;
  headers: string[];
  body: Uint8Array;
}

/** Thrown by {@link GuestInstance} methods once the instance has ended. */
export class InstanceEndedError extends Error {
  constructor(readonly end: InstanceEnd) {
    super(
      end.kind === 'exit'
        ? `instance exited with code ${end.code}`
        : end.kind === 'oom'
          ? end.message
          : `instance trapped: ${end.message}`,
    );
    this.name = 'InstanceEndedError';
  }
}

/** Maps whatever unwound out of a guest call to how the instance ended. */
export function classifyGuestFailure(err: unknown): InstanceEnd {
  if (err instanceof GuestExit) return { kind: 'exit', code: err.code };
  if (err instanceof wasmGlobal.RuntimeError) {
    return { kind: 'trap', message: err.message.startsWith('wasm trap') ? err.message : `wasm trap: ${err.message}` };
  }
  if (err instanceof HostTrap) return { kind: 'trap', message: `host: ${err.message}` };
  return { kind: 'trap', message: err instanceof Error ? err.message : String(err) };
}

const ERROR_HEADERS = ['content-type', 'text/plain; charset=utf-8'];
const encoder = new TextEncoder();

/** A component instance in a worker, with the host it was instantiated with. */
export class GuestInstance {
  #ended: InstanceEnd | undefined;

  private constructor(
    readonly id: number,
    private readonly host: ComponentHost,
    private readonly memoryLimitBytes: number | undefined,
    private readonly http: { handle: CoreHandle; postReturn?: () => void } | undefined,
    private readonly command: RunExport | undefined,
  ) {}

  /**
   * Instantiates the component of `spec` with exactly the host imports its grant allows; `outgoing`
   * decides its outgoing HTTP requests; `stdio` is a streaming exec's live stdin.
   */
  static async create(
    spec: InstanceSpec,
    mod: TranspiledModule,
    modules: Record<string, CoreModule>,
    shim: WasiShim,
    output: OutputSink,
    outgoing: OutgoingHttpPolicy,
    stdio?: StdioPort,
  ): Promise<GuestInstance> {
    const host = new ComponentHost({
      table: new ResourceTable(),
      hostBytes: new HostBytes(),
      env: Object.entries(spec.grant.env),
      args: spec.grant.args,
      ...(spec.grant.stdin ? { stdin: new SharedBytes(spec.grant.stdin) } : {}),
      ...(stdio ? { stdio } : {}),
      mounts: spec.grant.mounts ?? [],
      config: new Map(Object.entries(spec.grant.config ?? {})),
      output,
      outgoing,
    });
    const exports = await mod.instantiate(
      (name) => {
        const m = modules[name];
        if (!m) throw new Error(`transpiled component asks for unknown core module ${name}`);
        return m;
      },
      createShimImports(shim, spec.grant),
      host.instantiateCore,
    );
    const { httpExport, runExport } = spec.component;
    const http = httpExport === undefined ? undefined : host.httpHandler(httpExport);
    const run = runExport === undefined ? undefined : ((exports[runExport] ?? exports.run) as RunExport | undefined);
    return new GuestInstance(spec.instanceId, host, spec.memoryLimitBytes, http, run);
  }

  get exports(): InstanceExports {
    return { http: this.http !== undefined, run: this.command !== undefined };
  }

  /** Bytes of its linear memories now (metrics). */
  get memoryBytes(): number {
    let n = 0;
    for (const m of this.host.memories) n += m.buffer.byteLength;
    return n;
  }

  /** Live handles of this instance (for leak checks). */
  get handles(): number {
    return this.host.state.table.size;
  }

  /**
   * Serves one request, synchronously. Throws {@link InstanceEndedError} when the instance ended
   * (trap, exit, memory limit); any other throw is about this request only.
   */
  handle(req: WireRequest): GuestResponse {
    if (this.#ended) throw new InstanceEndedError(this.#ended);
    if (!this.http) throw new Error('component does not export wasi:http/incoming-handler');
    const table = this.host.state.table;
    const request = new IncomingRequest(
      req.method,
      req.path,
      req.scheme,
      req.authority,
      req.headers,
      req.body,
      latin1Bytes,
    );
    const out = new ResponseOutparam();
    const requestHandle = table.add(request);
    const outHandle = table.add(out);
    try {
      this.http.handle(requestHandle, outHandle);
      this.http.postReturn?.();
    } catch (err) {
      this.#ended = this.#classify(err);
      throw new InstanceEndedError(this.#ended);
    }
    // A guest that forgot to drop them must not grow the table request after request.
    table.release(requestHandle, request);
    table.release(outHandle, out);
    const outcome = out.outcome;
    if (!outcome) throw new Error('the component returned without setting a response');
    if ('error' in outcome) {
      const { tag, message } = outcome.error;
      return {
        status: 500,
        headers: ERROR_HEADERS,
        body: encoder.encode(`component answered with error-code ${tag}${message ? `: ${message}` : ''}\n`),
      };
    }
    const res = outcome.response;
    const headers: string[] = [];
    const { names, values } = res.headers;
    for (let i = 0; i < names.length; i++) headers.push(names[i]!, latin1String(values[i]!));
    return { status: res.status, headers, body: res.body ? res.body.bytes() : new Uint8Array(0) };
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
      // An `err` result surfaces as a thrown ComponentError: that is exit code 1, not a trap.
      const isResultErr = err instanceof Error && err.name === 'ComponentError';
      this.#ended = isResultErr ? { kind: 'exit', code: 1 } : this.#classify(err);
    }
    return this.#ended;
  }

  /**
   * A failure at (nearly) the memory limit is reported as OOM, as the kernel's OOM killer would be:
   * V8 refuses the `memory.grow` past the limit and the guest fails right after, with whatever
   * error it makes of it (usually a trap). "Nearly": within an eighth of the limit (at least 1 MiB),
   * since the allocation that failed may have asked for more than what was left.
   */
  #classify(err: unknown): InstanceEnd {
    const end = classifyGuestFailure(err);
    const limit = this.memoryLimitBytes;
    if (limit === undefined || (end.kind === 'exit' && end.code === 0)) return end;
    const used = Math.max(0, ...this.host.memories.map((m) => m.buffer.byteLength));
    const slack = Math.max(1 << 20, limit / 8);
    if (used + slack < limit) return end;
    const how = end.kind === 'exit' ? `exited with code ${end.code}` : end.message;
    return { kind: 'oom', message: `linear memory at its limit (${used} of ${limit} bytes): ${how}` };
  }
}
