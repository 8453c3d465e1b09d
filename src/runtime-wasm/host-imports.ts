/**
 * The import object one instance is instantiated with (worker side): exactly what its pod grants.
 *
 * - `wasi:cli/environment`: the pod's env and args only (never the agent's process env).
 * - stdout/stderr: captured and handed to `onOutput` (the runtime writes them to the pod log).
 * - `wasi:cli/exit`: throws {@link GuestExit}, which unwinds out of the guest call; the runtime ends
 *   the instance with that code. The shims would call `process.exit()` or throw their own class.
 * - no host filesystem: no preopens at all.
 * - network off: `wasi:sockets` from the browser build refuses everything; outgoing `wasi:http` goes
 *   through {@link OutgoingHttpPolicy}, which denies every request for now (the mesh is a later issue).
 */
import type { InstanceGrant } from './executor-protocol.js';
import type { WasiShim } from './wasi-shim.js';

/** Thrown (as a JS exception, through the guest's frames) when the guest calls `wasi:cli/exit`. */
export class GuestExit extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`guest exited with code ${code}`);
    this.name = 'GuestExit';
    this.code = code;
  }
}

/** `result<future-incoming-response, error-code>` as the bindings expect it. */
export type OutgoingHandleResult = { tag: 'ok'; val: unknown } | { tag: 'err'; val: { tag: string; val?: unknown } };

/**
 * Decides the fate of a guest's outgoing HTTP request. The seam for the service mesh: a later
 * implementation resolves `http://<service>` to an endpoint and delegates to an HTTP client.
 * Must never throw (a thrown JS error aborts the instance with a trap).
 */
export interface OutgoingHttpPolicy {
  handle(request: unknown, options: unknown): OutgoingHandleResult;
}

/** The policy of an instance that has no network: every request is refused. */
export const denyAllOutgoingHttp: OutgoingHttpPolicy = {
  handle: () => ({ tag: 'err', val: { tag: 'HTTP-request-denied' } }),
};

/** Receives the guest's stdout/stderr bytes (a copy; the guest may reuse its buffer). */
export type OutputSink = (stream: 'stdout' | 'stderr', data: Uint8Array) => void;

/** Builds an unversioned import object (`wasi:io/poll`, ...) for one instance. */
export function createHostImports(
  shim: WasiShim,
  grant: InstanceGrant,
  onOutput: OutputSink,
  outgoing: OutgoingHttpPolicy = denyAllOutgoingHttp,
): Record<string, unknown> {
  const sink = (stream: 'stdout' | 'stderr') => ({
    write(buf: Uint8Array): void {
      onOutput(stream, buf.slice());
    },
    flush(): void {},
    blockingFlush(): void {},
  });
  const cli = shim.cli.createCli({
    environment: grant.env,
    arguments: grant.args,
    initialCwd: '/',
    stdout: sink('stdout'),
    stderr: sink('stderr'),
  });
  const exit = {
    exit(status: { tag: 'ok' | 'err' }): never {
      throw new GuestExit(status.tag === 'err' ? 1 : 0);
    },
    exitWithCode(code: number): never {
      throw new GuestExit(code);
    },
  };
  // No preopens: the guest sees no directory at all. The Descriptor class still has to exist for
  // the bindings' resource tables.
  const preopens = { getDirectories: (): [] => [] };
  return {
    'wasi:cli/environment': cli.environment,
    'wasi:cli/exit': exit,
    'wasi:cli/stdin': cli.stdin,
    'wasi:cli/stdout': cli.stdout,
    'wasi:cli/stderr': cli.stderr,
    'wasi:cli/terminal-input': cli.terminalInput,
    'wasi:cli/terminal-output': cli.terminalOutput,
    'wasi:cli/terminal-stdin': cli.terminalStdin,
    'wasi:cli/terminal-stdout': cli.terminalStdout,
    'wasi:cli/terminal-stderr': cli.terminalStderr,
    'wasi:clocks/monotonic-clock': shim.clocks.monotonicClock,
    'wasi:clocks/wall-clock': shim.clocks.wallClock,
    'wasi:filesystem/preopens': preopens,
    'wasi:filesystem/types': shim.filesystem.types,
    'wasi:io/error': shim.io.error,
    'wasi:io/poll': shim.io.poll,
    'wasi:io/streams': shim.io.streams,
    'wasi:random/random': shim.random.random,
    'wasi:random/insecure': shim.random.insecure,
    'wasi:random/insecure-seed': shim.random.insecureSeed,
    'wasi:sockets/instance-network': shim.sockets.instanceNetwork,
    'wasi:sockets/ip-name-lookup': shim.sockets.ipNameLookup,
    'wasi:sockets/network': shim.sockets.network,
    'wasi:sockets/tcp': shim.sockets.tcp,
    'wasi:sockets/tcp-create-socket': shim.sockets.tcpCreateSocket,
    'wasi:sockets/udp': shim.sockets.udp,
    'wasi:sockets/udp-create-socket': shim.sockets.udpCreateSocket,
    'wasi:http/types': shim.http.types,
    'wasi:http/outgoing-handler': {
      handle(request: unknown, options: unknown): OutgoingHandleResult {
        try {
          return outgoing.handle(request, options);
        } catch (err) {
          // Never let a policy bug trap the guest: refuse instead.
          return { tag: 'err', val: { tag: 'internal-error', val: err instanceof Error ? err.message : String(err) } };
        }
      },
    },
  };
}
