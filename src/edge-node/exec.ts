/**
 * Runs `edgectl exec` commands for the hub: finds the pod's running container and asks its runtime to
 * run the command (for a Wasm container, a fresh instance's `wasi:cli/run`; for an OCI container, a
 * process inside it). Every failure becomes an `execResult` with `error`, never an exception.
 */
import { errorMessage } from '../api/index.js';
import type { HubToNode, NodeToHub } from '../api/index.js';
import type { PodWorkers } from './pods/pod-workers.js';

type ExecRequest = Extract<HubToNode, { type: 'execRequest' }>;
type ExecResult = Extract<NodeToHub, { type: 'execResult' }>;

/** Answers one exec request. */
export async function runExec(workers: PodWorkers, req: ExecRequest): Promise<ExecResult> {
  const fail = (error: string): ExecResult => ({ type: 'execResult', requestId: req.requestId, error });
  const worker = workers.find(req.pod.namespace, req.pod.name);
  if (!worker) return fail(`pod ${req.pod.namespace}/${req.pod.name} is not running on this node`);
  const inst = worker.runningInstance(req.container);
  if (!inst) return fail(`container ${req.container ?? '(default)'} of pod ${req.pod.name} is not running`);
  if (!inst.runtime.exec) return fail(`runtime "${inst.runtime.name}" cannot exec commands`);
  try {
    const r = await inst.runtime.exec(inst.id, req.command, { timeoutMs: req.timeoutSeconds * 1000 });
    return {
      type: 'execResult',
      requestId: req.requestId,
      exitCode: r.exitCode,
      stdout: fitExecOutput(r.stdout),
      stderr: fitExecOutput(r.stderr),
    };
  } catch (err) {
    return fail(fitText(errorMessage(err), EXEC_ERROR_MAX_CHARS, ERROR_NOTE));
  }
}

/**
 * The most UTF-16 code units of one exec stream the wire schema's `execResult` accepts (src/api/wire.ts:
 * 1 MiB plus room for a note). The runtimes cap what they capture at 1 MiB of bytes, but that is not
 * the same measure (and an Engine API exec may overshoot by a chunk): the answer is cut here so it
 * always fits, rather than being refused whole by the hub.
 */
export const EXEC_OUTPUT_MAX_CHARS = 1024 * 1024 + 1024;
/** The most characters of `error` the wire schema accepts (its messages are 64 KiB). */
const EXEC_ERROR_MAX_CHARS = 64 * 1024;
const OUTPUT_NOTE = '\n[edgeplane] output truncated to fit the exec result\n';
const ERROR_NOTE = ' (truncated)';

/** `text` cut (with a note saying so) to at most {@link EXEC_OUTPUT_MAX_CHARS} UTF-16 code units. */
export function fitExecOutput(text: string): string {
  return fitText(text, EXEC_OUTPUT_MAX_CHARS, OUTPUT_NOTE);
}

function fitText(text: string, max: number, note: string): string {
  if (text.length <= max) return text;
  let end = max - note.length;
  // Never split a surrogate pair (a lone half would become U+FFFD on the way).
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end) + note;
}
