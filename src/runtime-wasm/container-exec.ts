/**
 * Exec in a Wasm container (main thread): the checks both kinds share (the container runs, its
 * component exports `wasi:cli/run`, there is a command), then a one-shot exec whose output comes back
 * with its end (probes, `edgectl exec`; exec.ts) or a streaming one (kubectl; exec-stream.ts). Both
 * run within the container's share of the node's memory budget.
 */
import { BadRequestError, ServiceUnavailableError } from '../api/index.js';
import type { ExecProcess, ExecResult, ExecStreamOptions } from '../api/index.js';
import { exportOf, type InstanceIo } from './container-spec.js';
import { execInstance, type ExecDeps } from './exec.js';
import { execStreamInstance } from './exec-stream.js';
import type { InstanceSpec } from './executors/executor-protocol.js';
import type { WasmContainerDeps } from './wasm-container-deps.js';

/** What an exec needs of its container. */
export interface ExecContainer {
  deps: WasmContainerDeps;
  state: 'created' | 'running' | 'exited';
  spec(instanceId: number, args: string[], io: InstanceIo): InstanceSpec;
  /** The exec overran its timeout while running: isolate the pod. */
  onOverrun(): void;
}

/** The checks, then what running `command` needs, with `io` for its instance. */
function execDeps(
  c: ExecContainer,
  command: readonly string[],
  timeoutMs: number,
  io: () => InstanceIo,
): Omit<ExecDeps, 'signal'> {
  const { config, component, compiled, executors } = c.deps;
  if (c.state !== 'running') throw new ServiceUnavailableError(`container ${config.name} is not running (${c.state})`);
  if (!exportOf(component, 'wasi:cli/run')) {
    throw new BadRequestError(
      `cannot exec in container ${config.name}: its component does not export wasi:cli/run (exports: ${component.exports.join(', ')})`,
    );
  }
  if (command.length === 0) throw new BadRequestError('exec needs a command');
  return {
    executors,
    isolated: c.deps.isolated(),
    spec: (id) => c.spec(id, [...command], io()),
    modules: compiled.modules,
    timeoutMs,
    label: JSON.stringify(command.join(' ')),
    onOverrun: () => c.onOverrun(),
  };
}

/**
 * Runs `command` in a fresh instance with `stdin` as its whole stdin; output captured. Async so that a
 * refusal (not running, no `wasi:cli/run`) is a rejection, as callers of a Promise expect, not a throw.
 */
export async function execOnce(
  c: ExecContainer,
  command: readonly string[],
  timeoutMs: number,
  stdin?: Uint8Array,
  signal?: AbortSignal,
): Promise<ExecResult> {
  const deps = execDeps(c, command, timeoutMs, () => ({ captureOutput: true, ...(stdin ? { stdin } : {}) }));
  return c.deps.memory.extra(`exec in container ${c.deps.config.name}`, () =>
    execInstance({ ...deps, ...(signal ? { signal } : {}) }),
  );
}

/** Starts `command` in a fresh instance with live stdin (`opts.stdin`) and output as it comes; no terminal. */
export function execStreaming(
  c: ExecContainer,
  command: readonly string[],
  timeoutMs: number,
  opts: ExecStreamOptions,
): ExecProcess {
  if (opts.tty)
    throw new BadRequestError(
      'a Wasm command has no terminal (kubectl exec -t): use -i without -t; its stdin and output still stream',
    );
  // kubectl cp runs `test -d <dest>` then tar in the container; a Wasm command is the component
  // itself (which would take them for its own arguments and might run for long), never those tools.
  if (command[0] === 'tar' || (command[0] === 'test' && command[1] === '-d' && command.length === 3))
    throw new BadRequestError(
      'kubectl cp needs tar in the container; a Wasm container has no tar (exec runs the component’s command)',
    );
  const deps = execDeps(c, command, timeoutMs, () => ({}));
  return execStreamInstance({
    ...deps,
    stdin: opts.stdin,
    within: (run) => c.deps.memory.extra(`exec in container ${c.deps.config.name}`, run),
  });
}
