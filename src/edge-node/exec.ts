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
    return { type: 'execResult', requestId: req.requestId, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    return fail(errorMessage(err));
  }
}
