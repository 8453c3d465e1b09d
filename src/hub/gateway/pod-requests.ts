/**
 * Requests the API server makes of a pod's node: `logs` (streamed back in chunks) and `exec` (one
 * answer). Both find the node hosting the pod and its live session, bound how many a node serves at
 * once, and fail when the node's session closes.
 */
import { randomUUID } from 'node:crypto';
import type { NodeToHub, Pod } from '../../api/index.js';
import { NotFoundError, ServiceUnavailableError } from '../../api/index.js';
import type { Informer } from '../informers/index.js';
import type { PodExecOptions, PodExecResult, PodExecSource, PodLogOptions, PodLogSource } from '../server/index.js';
import { TooManyRequestsError } from '../server/index.js';
import { ExecRequests } from './exec-requests.js';
import { LogStreams } from './log-streams.js';
import type { NodeSession } from './session.js';

/** What the requests read: the pod cache, the live sessions, and the per-node bounds. */
export interface PodRequestsDeps {
  pods: Informer<Pod>;
  /** The live session of a node, if it is connected. */
  sessionOf: (node: string) => NodeSession | undefined;
  /** Exec requests in flight per node (default 32). */
  maxExecsPerNode?: number;
  /** Log streams open per node (default 64). */
  maxLogStreamsPerNode?: number;
}

type LogChunk = Extract<NodeToHub, { type: 'logChunk' }>;
type ExecResult = Extract<NodeToHub, { type: 'execResult' }>;

/** Pod logs and exec, served by asking the hosting node. */
export class PodRequests implements PodLogSource, PodExecSource {
  readonly #deps: PodRequestsDeps;
  readonly #logs = new LogStreams();
  readonly #execs = new ExecRequests();

  constructor(deps: PodRequestsDeps) {
    this.#deps = deps;
  }

  /** Streams a pod's logs from its node (the API server's PodLogSource). */
  async *stream(namespace: string, pod: string, opts: PodLogOptions, signal: AbortSignal): AsyncIterable<string> {
    const { nodeName, session } = this.#hostOf(namespace, pod);
    const maxStreams = this.#deps.maxLogStreamsPerNode ?? 64;
    if (this.#logs.countFor(nodeName) >= maxStreams)
      throw new TooManyRequestsError(`node "${nodeName}" already serves ${maxStreams} log streams; try again later`);
    const requestId = randomUUID();
    this.#logs.open(requestId, nodeName);
    session.send({ type: 'logRequest', requestId, pod: { namespace, name: pod }, ...opts });
    try {
      yield* this.#logs.read(requestId, signal);
    } finally {
      if (opts.follow) session.send({ type: 'logCancel', requestId });
    }
  }

  /** Runs a command in a pod's container on its node (the API server's PodExecSource). */
  async exec(namespace: string, pod: string, opts: PodExecOptions): Promise<PodExecResult> {
    const { nodeName, session } = this.#hostOf(namespace, pod);
    const maxExecs = this.#deps.maxExecsPerNode ?? 32;
    if (this.#execs.countFor(nodeName) >= maxExecs)
      throw new TooManyRequestsError(`node "${nodeName}" already runs ${maxExecs} exec requests; try again later`);
    const requestId = randomUUID();
    // The node enforces the command's timeout; the hub waits a little longer for its answer.
    const answer = this.#execs.wait(requestId, nodeName, opts.timeoutSeconds * 1000 + 5000);
    session.send({
      type: 'execRequest',
      requestId,
      pod: { namespace, name: pod },
      command: opts.command,
      timeoutSeconds: opts.timeoutSeconds,
      ...(opts.container ? { container: opts.container } : {}),
    });
    return answer;
  }

  /** A chunk of a log stream from `node`; a reader that does not keep up ends its stream. */
  logChunk(session: NodeSession, node: string, msg: LogChunk): void {
    if (this.#logs.push(msg.requestId, node, msg.data, msg.done ?? false, msg.error) === 'overflow')
      session.send({ type: 'logCancel', requestId: msg.requestId });
  }

  /** The answer of an exec request from `node`. */
  execResult(node: string, msg: ExecResult): void {
    this.#execs.answer(msg.requestId, node, msg);
  }

  /** Fails every stream and request of a node whose session closed. */
  failNode(node: string): void {
    this.#logs.failNode(node);
    this.#execs.failNode(node);
  }

  /** The node hosting a pod, and its live session; the API's error when there is none. */
  #hostOf(namespace: string, pod: string): { nodeName: string; session: NodeSession } {
    const obj = this.#deps.pods.get(namespace, pod);
    if (!obj) throw new NotFoundError('pods', pod);
    const nodeName = obj.spec.nodeName;
    if (!nodeName) throw new ServiceUnavailableError(`pod "${pod}" is not scheduled to a node yet`);
    const session = this.#deps.sessionOf(nodeName);
    if (!session) throw new ServiceUnavailableError(`node "${nodeName}" hosting pod "${pod}" is not connected`);
    return { nodeName, session };
  }
}
