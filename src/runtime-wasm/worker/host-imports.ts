/**
 * The import object jco's bindings are instantiated with (worker side), built from preview2-shim's
 * browser build and sandboxed per instance. Most of it is shadowed at the core level by the host in
 * host/ (component-host.ts); what is left serves the few functions the host does not take over
 * (socket and descriptor methods, unreachable since no socket or descriptor can be made) and the
 * resource classes jco's bindings look up by name at instantiation.
 *
 * The sandbox holds here too: the pod's env and args only, no preopens (the host's own
 * `wasi:filesystem` serves the container's mounts), exit unwinds with GuestExit, outgoing HTTP
 * refused, `wasi:config/store` empty (the host serves the container's entries).
 */
import { GuestExit } from '../host/cli.js';
import type { InstanceGrant } from '../executors/executor-protocol.js';
import type { WasiShim } from './wasi-shim.js';

/** Builds an unversioned import object (`wasi:io/poll`, ...) for one instance. */
export function createShimImports(shim: WasiShim, grant: InstanceGrant): Record<string, unknown> {
  const discard = { write: (): void => {}, flush: (): void => {}, blockingFlush: (): void => {} };
  const cli = shim.cli.createCli({
    environment: grant.env,
    arguments: grant.args,
    initialCwd: '/',
    stdout: discard,
    stderr: discard,
  });
  const exit = {
    exit(status: { tag: 'ok' | 'err' }): never {
      throw new GuestExit(status.tag === 'err' ? 1 : 0);
    },
    exitWithCode(code: number): never {
      throw new GuestExit(code);
    },
  };
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
    'wasi:filesystem/preopens': { getDirectories: (): [] => [] },
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
    'wasi:http/outgoing-handler': { handle: () => ({ tag: 'err', val: { tag: 'HTTP-request-denied' } }) },
    // Not in preview2-shim; jco's bindings need the names (the host shadows them at the core level).
    'wasi:config/store': { get: (): undefined => undefined, getAll: (): [] => [] },
  };
}
