/**
 * `POST …/pods/{name}/exec?command=sh&command=-c&command=…&container=c&timeoutSeconds=30`: runs a
 * command in the pod's container on its node and answers `{exitCode, stdout, stderr}` as JSON.
 * Non-interactive (no stdin, no tty): Kubernetes streams exec over SPDY/WebSocket channels; Edgeplane's
 * exec is one request, one answer, which is what probes, scripts and `edgectl exec` need. Exec is a
 * write (`create pods/exec`): only POST reaches here, and only for callers allowed to write.
 * kubectl's exec (`GET` with `Upgrade: websocket`, see ./streams) is validated by `execStreamPlan`.
 */
import { BadRequestError, defaultRuntimeClass, parseSecondsParam, typeByKind, type Pod } from '../../api/index.js';
import type { ObjectAPI } from '../registry/index.js';
import { CHANNEL_PROTOCOLS, chooseProtocol } from './streams/channel-protocol.js';
import type { AttachStreamPlan, ExecStreamPlan } from './streams/stream-env.js';
import type { PodExecResult, PodExecSource } from './types.js';

const POD = typeByKind('v1', 'Pod')!;
const DEFAULT_TIMEOUT_SECONDS = 60;
/** Longest exec a client may ask for: a day (a one-shot command, not a session; the node keeps a timer for it). */
export const MAX_EXEC_TIMEOUT_SECONDS = 86_400;

/** Validates the request against the pod and runs it. */
export async function execInPod(
  api: ObjectAPI,
  exec: PodExecSource,
  namespace: string,
  name: string,
  query: URLSearchParams,
): Promise<PodExecResult> {
  const command = query.getAll('command');
  if (command.length === 0)
    throw new BadRequestError('you must specify at least one command for the container (command=…)', [
      { field: 'command', message: 'Required value' },
    ]);
  const container = query.get('container') ?? undefined;
  const timeoutSeconds =
    parseSecondsParam('timeoutSeconds', query.get('timeoutSeconds'), { min: 1, max: MAX_EXEC_TIMEOUT_SECONDS }) ??
    DEFAULT_TIMEOUT_SECONDS;
  const pod = await api.get<Pod>(POD, namespace, name);
  if (container !== undefined && !pod.spec.containers.some((c) => c.name === container)) {
    throw new BadRequestError(`container ${container} is not valid for pod ${name}`);
  }
  return exec.exec(namespace, name, { command, timeoutSeconds, ...(container !== undefined ? { container } : {}) });
}

/**
 * How long a streamed (kubectl) exec may run: kubectl sends no timeout, and a one-shot command's node
 * timer is what ends one whose client went away, so it is bounded at an hour rather than a day.
 */
export const STREAM_EXEC_TIMEOUT_SECONDS = 3600;

/**
 * Validates a streaming exec (`GET …/exec?command=…&stdin=true&stdout=true&stderr=true&tty=true` with
 * `Upgrade: websocket` and a channel sub-protocol) and says what to run once the connection is upgraded.
 */
export async function execStreamPlan(
  api: ObjectAPI,
  namespace: string,
  name: string,
  query: URLSearchParams,
  headers: { upgrade: string | undefined; protocols: string | undefined },
): Promise<ExecStreamPlan> {
  const on = (k: string): boolean => ['true', '1'].includes(query.get(k) ?? '');
  const command = query.getAll('command');
  if (command.length === 0)
    throw new BadRequestError('you must specify at least one command for the container (command=…)', [
      { field: 'command', message: 'Required value' },
    ]);
  const container = query.get('container') ?? undefined;
  const pod = await api.get<Pod>(POD, namespace, name);
  if (container !== undefined && !pod.spec.containers.some((c) => c.name === container)) {
    throw new BadRequestError(`container ${container} is not valid for pod ${name}`);
  }
  // A Wasm command is an instance of the component: its stdin and output stream (exec-stream.ts in
  // runtime-wasm), but there is no terminal to give it.
  if (on('tty') && defaultRuntimeClass(pod.spec) === 'wasm')
    throw new BadRequestError(
      `pod ${name} runs Wasm, whose commands have no terminal (-t): use -i without -t (stdin and output still stream)`,
    );
  // After the request's own checks: kubectl retries a refused WebSocket over SPDY and prints only the
  // second refusal, so a bad container or a missing pod must be what that one says.
  checkChannelUpgrade(headers);
  return {
    kind: 'exec',
    namespace,
    name,
    command,
    ...(container !== undefined ? { container } : {}),
    stdout: on('stdout'),
    // With a tty there is no separate stderr (the terminal carries both), as the kubelet has it.
    stderr: on('stderr') && !on('tty'),
    stdin: on('stdin'),
    tty: on('tty'),
    timeoutSeconds: STREAM_EXEC_TIMEOUT_SECONDS,
  };
}

/** Refuses an upgrade that is not a WebSocket offering a channel sub-protocol this hub speaks. */
function checkChannelUpgrade(headers: { upgrade: string | undefined; protocols: string | undefined }): void {
  if ((headers.upgrade ?? '').toLowerCase() !== 'websocket')
    throw new BadRequestError(
      `streaming over "${headers.upgrade ?? ''}" is not served: use WebSocket with ${CHANNEL_PROTOCOLS.join(' or ')} (kubectl 1.30 or later)`,
    );
  if (chooseProtocol([headers.protocols ?? '']) === undefined)
    throw new BadRequestError(`no supported sub-protocol offered: this hub speaks ${CHANNEL_PROTOCOLS.join(', ')}`);
}

/**
 * Validates a streaming attach (`GET …/attach?container=c&stdin=true&stdout=true&tty=true` as an
 * upgrade). As Kubernetes: stdin (`-i`) needs a container started with `stdin: true`, a tty (`-t`)
 * one with `tty: true`; a Wasm container has neither (its process is an instance, not a pipe reader).
 */
export async function attachStreamPlan(
  api: ObjectAPI,
  namespace: string,
  name: string,
  query: URLSearchParams,
  headers: { upgrade: string | undefined; protocols: string | undefined },
): Promise<AttachStreamPlan> {
  const on = (k: string): boolean => ['true', '1'].includes(query.get(k) ?? '');
  const container = query.get('container') ?? undefined;
  const pod = await api.get<Pod>(POD, namespace, name);
  const target =
    container !== undefined ? pod.spec.containers.find((c) => c.name === container) : pod.spec.containers[0];
  if (!target) throw new BadRequestError(`container ${container ?? ''} is not valid for pod ${name}`);
  const stdin = on('stdin');
  const tty = on('tty');
  if ((stdin || tty) && defaultRuntimeClass(pod.spec) === 'wasm')
    throw new BadRequestError(
      `pod ${name} runs Wasm, whose container has no stdin or terminal to attach to (-i, -t): attach without -i/-t to follow its output, or use kubectl exec -i`,
    );
  if (stdin && target.stdin !== true)
    throw new BadRequestError(
      `container ${target.name} of pod ${name} was not started with stdin: true, so attach has no stdin to write to (-i): attach without -i to follow its output, or use kubectl exec -i`,
    );
  if (tty && target.tty !== true)
    throw new BadRequestError(
      `container ${target.name} of pod ${name} was not started with tty: true, so attach has no terminal (-t): attach without -t, or use kubectl exec -t`,
    );
  checkChannelUpgrade(headers);
  return {
    kind: 'attach',
    namespace,
    name,
    ...(container !== undefined ? { container } : {}),
    stdout: on('stdout'),
    stderr: on('stderr') && !tty,
    stdin,
    tty,
  };
}
