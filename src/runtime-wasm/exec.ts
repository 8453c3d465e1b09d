/**
 * `Runtime.exec` for Wasm: a fresh instance of the container's component, its `wasi:cli/run` called
 * with the command as arguments and the container's env, output captured, exit code returned.
 *
 * It runs on a shared executor (an exec is usually a short probe; a worker per exec would cost more
 * than the command), or on a one-off executor of its own when the pod is isolated. Past its timeout
 * it rejects with TimeoutError; if it was running by then, its executor is terminated (neighbours'
 * instances are re-created elsewhere) and the pod is isolated. A cancel (`signal`) ends it the same
 * way, without isolating the pod.
 *
 * A streaming exec (`stdio`, kubectl `exec -i`, see exec-stream.ts) always runs on an executor of its
 * own: its guest blocks that thread while it waits for the client's input or for room for its
 * output, which must never stall a neighbour. Its output goes to `owner` as it comes.
 */
import { TimeoutError } from '../api/index.js';
import type { ExecResult } from '../api/index.js';
import type { Executor, InstanceOwner, RunOutcome } from './executors/executor.js';
import type { ExecutorPool } from './executors/executor-pool.js';
import type { InstanceSpec } from './executors/executor-protocol.js';
import { newInstanceId } from './pools/pool-job.js';
import { KILLED_EXIT_CODE } from './exit-codes.js';
import { EXEC_OUTPUT_CAP_BYTES } from './worker/captured-output.js';
import { OUTGOING_GRACE_MS } from './outgoing/outgoing-dispatch.js';
import type { CoreModule } from './wasm-global.js';
import type { StdioChannel } from './stdio/index.js';

/** Dependencies of {@link execInstance}. */
export interface ExecDeps {
  executors: ExecutorPool;
  /** The pod is isolated: run on a worker of its own. */
  isolated: boolean;
  spec(instanceId: number): InstanceSpec;
  modules: Record<string, CoreModule>;
  timeoutMs: number;
  /** Aborted when the exec's client went: the executor running it is ended, as at the timeout. */
  signal?: AbortSignal;
  /** For messages: the command line. */
  label: string;
  /** The exec overran while running: isolate the pod. */
  onOverrun(): void;
  /** A streaming exec's stdio: cancelled with the exec (which wakes a guest waiting on it). */
  stdio?: StdioChannel;
  /** Receives a streaming exec's output; absent: output comes back with the run. */
  owner?: InstanceOwner;
}

const decoder = new TextDecoder();

/** Silent owner: output comes back with the run, and a lost executor rejects the run. */
const silentOwner: InstanceOwner = { onOutput: () => undefined, onExecutorLost: () => undefined };

/** Runs one exec to completion or timeout; its output is in the result. */
export async function execInstance(deps: ExecDeps): Promise<ExecResult> {
  return toExecResult(await runExec(deps));
}

/** Runs one exec to completion or timeout (rejecting then, or at a cancel). */
export async function runExec(deps: ExecDeps): Promise<RunOutcome> {
  const { executors } = deps;
  const owner = deps.owner ?? silentOwner;
  const executor: Executor =
    deps.isolated || deps.stdio ? executors.dedicated(deps.isolated) : (executors.pickAvailable() ?? executors.pick());
  const id = newInstanceId();
  const deadlineAt = Date.now() + deps.timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const overrun = (): void => {
    if (!executor.isRunningInstance(id)) return;
    deps.onOverrun();
    void executor.terminate(`exec of ${deps.label} exceeded its ${deps.timeoutMs} ms timeout`);
  };
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      if (executor.outgoing.has({ instanceId: id })) {
        // Waiting for an outgoing call is not an overrun: fail the call and give it a moment to finish.
        executor.outgoing.fail({ instanceId: id }, { tag: 'connection-timeout' });
        setTimeout(overrun, OUTGOING_GRACE_MS).unref();
      } else overrun();
      reject(new TimeoutError(`command ${deps.label} timed out after ${deps.timeoutMs} ms`));
    }, deps.timeoutMs);
  });
  // A cancel (kubectl went) ends the executor running the command, as a timeout does (a guest cannot
  // be stopped otherwise); a neighbour's instances on it are re-created elsewhere. The pod is not
  // isolated for it: the command did nothing wrong.
  let onAbort: (() => void) | undefined;
  const cancelled = new Promise<never>((_resolve, reject) => {
    onAbort = () => {
      // Wakes a guest waiting for input or output room: it ends at once (before the terminate lands).
      deps.stdio?.cancel();
      if (executor.isRunningInstance(id) || executor.dedicated)
        void executor.terminate(`exec of ${deps.label} was cancelled by its client`);
      reject(new Error(`command ${deps.label} was cancelled`));
    };
    if (deps.signal?.aborted) onAbort();
    else deps.signal?.addEventListener('abort', onAbort, { once: true });
  });
  cancelled.catch(() => undefined);
  const work = (async (): Promise<RunOutcome> => {
    const spec = deps.spec(id);
    await executor.instantiate(deps.stdio ? { ...spec, stdio: deps.stdio.buffer } : spec, deps.modules, owner);
    // Past its deadline the worker skips the run (`expired`) and forgets the instance.
    return executor.run(id, deadlineAt);
  })();
  work.catch(() => undefined); // the race below may have settled on the timeout already
  try {
    return await Promise.race([work, timedOut, cancelled]);
  } finally {
    clearTimeout(timer);
    // The run is over (or given up): stdin still waiting for room is dropped.
    deps.stdio?.cancel();
    if (onAbort) deps.signal?.removeEventListener('abort', onAbort);
    if (executor.dedicated) void executor.terminate('exec finished');
  }
}

/** An exec's outcome as kubectl and probes see it: exit code, output, and why it ended when not an exit. */
export function toExecResult(outcome: RunOutcome): ExecResult {
  const stdout = outcome.stdout ? decoder.decode(outcome.stdout) : '';
  let stderr = outcome.stderr ? decoder.decode(outcome.stderr) : '';
  const { end, dropped } = outcome;
  for (const stream of ['stdout', 'stderr'] as const) {
    const n = dropped?.[stream] ?? 0;
    if (n > 0)
      stderr += `${stderr && !stderr.endsWith('\n') ? '\n' : ''}[edgeplane] ${stream} truncated: ${n} bytes past the first ${EXEC_OUTPUT_CAP_BYTES} dropped\n`;
  }
  if (end.kind === 'exit') return { exitCode: end.code, stdout, stderr };
  stderr += `${stderr && !stderr.endsWith('\n') ? '\n' : ''}[edgeplane] ${end.kind === 'oom' ? 'OOMKilled' : 'trap'}: ${end.message}\n`;
  return { exitCode: end.kind === 'oom' ? KILLED_EXIT_CODE : 1, stdout, stderr };
}
