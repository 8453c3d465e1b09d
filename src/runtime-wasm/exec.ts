/**
 * `Runtime.exec` for Wasm: a fresh instance of the container's component, its `wasi:cli/run` called
 * with the command as arguments and the container's env, output captured, exit code returned.
 *
 * It runs on a shared executor (an exec is usually a short probe; a worker per exec would cost more
 * than the command), or on a one-off executor of its own when the pod is isolated. Past its timeout
 * it rejects with TimeoutError; if it was running by then, its executor is terminated (neighbours'
 * instances are re-created elsewhere) and the pod is isolated. A cancel (`signal`) ends it the same
 * way, without isolating the pod.
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
}

const decoder = new TextDecoder();

/** Silent owner: output comes back with the run, and a lost executor rejects the run. */
const owner: InstanceOwner = { onOutput: () => undefined, onExecutorLost: () => undefined };

/** Runs one exec to completion or timeout. */
export async function execInstance(deps: ExecDeps): Promise<ExecResult> {
  const { executors } = deps;
  const executor: Executor = deps.isolated
    ? executors.dedicated(true)
    : (executors.pickAvailable() ?? executors.pick());
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
      if (executor.isRunningInstance(id) || executor.dedicated)
        void executor.terminate(`exec of ${deps.label} was cancelled by its client`);
      reject(new Error(`command ${deps.label} was cancelled`));
    };
    if (deps.signal?.aborted) onAbort();
    else deps.signal?.addEventListener('abort', onAbort, { once: true });
  });
  cancelled.catch(() => undefined);
  const work = (async (): Promise<RunOutcome> => {
    await executor.instantiate(deps.spec(id), deps.modules, owner);
    // Past its deadline the worker skips the run (`expired`) and forgets the instance.
    return executor.run(id, deadlineAt);
  })();
  work.catch(() => undefined); // the race below may have settled on the timeout already
  try {
    return toExecResult(await Promise.race([work, timedOut, cancelled]));
  } finally {
    clearTimeout(timer);
    if (onAbort) deps.signal?.removeEventListener('abort', onAbort);
    if (executor.dedicated) void executor.terminate('exec finished');
  }
}

function toExecResult(outcome: RunOutcome): ExecResult {
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
