/**
 * Requests the API server makes of a pod's node: `logs` (streamed back in chunks) and `exec` (one
 * answer). Both find the node hosting the pod and its live session, bound how many a node serves at
 * once, and fail when the node's session closes.
 */
import { randomUUID } from 'node:crypto';
import type { NodeStreamFrame, NodeToHub, Pod } from '../../api/index.js';
import {
  MAX_STREAMS_PER_NODE,
  NotFoundError,
  ATTACH_PROTOCOL_VERSION,
  PORT_FORWARD_PROTOCOL_VERSION,
  STREAM_PROTOCOL_VERSION,
  ServiceUnavailableError,
} from '../../api/index.js';
import type { Informer } from '../informers/index.js';
import type {
  PodExecOptions,
  PodExecResult,
  PodExecSource,
  PodLogOptions,
  PodLogSource,
  PodStream,
  PodStreamHandlers,
  PodStreamOptions,
  PodStreamSource,
} from '../server/index.js';
import { TooManyRequestsError } from '../server/index.js';
import { ExecRequests } from './exec-requests.js';
import { LogStreams } from './log-streams.js';
import { PodStreams } from './pod-streams.js';
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

/** Pod logs, exec and command streams, served by asking the hosting node. */
export class PodRequests implements PodLogSource, PodExecSource, PodStreamSource {
  readonly #deps: PodRequestsDeps;
  readonly #logs = new LogStreams();
  readonly #execs = new ExecRequests();
  readonly #streams = new PodStreams();

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

  /** Whether the pod's node speaks command streams (protocol 4). */
  streamsSupported(namespace: string, pod: string): boolean {
    return this.#hostOf(namespace, pod).session.protocol >= STREAM_PROTOCOL_VERSION;
  }

  /** Opens a command stream to a process in a pod's container on its node (protocol 4). */
  openStream(namespace: string, pod: string, opts: PodStreamOptions, handlers: PodStreamHandlers): PodStream {
    const { nodeName, session } = this.#hostOf(namespace, pod);
    if (session.protocol < STREAM_PROTOCOL_VERSION)
      throw new ServiceUnavailableError(
        `node "${nodeName}" speaks gateway protocol ${session.protocol}; a command with stdin or a tty needs protocol ${STREAM_PROTOCOL_VERSION} (upgrade the agent)`,
      );
    if (this.#streams.countFor(nodeName) >= MAX_STREAMS_PER_NODE)
      throw new TooManyRequestsError(
        `node "${nodeName}" already runs ${MAX_STREAMS_PER_NODE} command streams; try again later`,
      );
    if (opts.attach && session.protocol < ATTACH_PROTOCOL_VERSION)
      throw new ServiceUnavailableError(
        `node "${nodeName}" speaks gateway protocol ${session.protocol}; attach with stdin or a tty needs protocol ${ATTACH_PROTOCOL_VERSION} (upgrade the agent)`,
      );
    const streamId = randomUUID();
    const stream = this.#streams.add(streamId, nodeName, session, handlers);
    if (opts.attach) {
      session.send({
        type: 'attachOpen',
        streamId,
        pod: { namespace, name: pod },
        stdin: opts.stdin,
        tty: opts.tty,
        ...(opts.container !== undefined ? { container: opts.container } : {}),
        ...(opts.size ? { size: opts.size } : {}),
      });
      return stream;
    }
    session.send({
      type: 'streamOpen',
      streamId,
      pod: { namespace, name: pod },
      command: opts.command,
      stdin: opts.stdin,
      tty: opts.tty,
      ...(opts.container !== undefined ? { container: opts.container } : {}),
      ...(opts.size ? { size: opts.size } : {}),
    });
    return stream;
  }

  /**
   * Opens a connection to `port` of a pod on its node (kubectl port-forward, protocol 5): bytes
   * both ways with the command streams' flow control; `end` tells how the connection ended.
   */
  openPortForward(namespace: string, pod: string, port: number, handlers: PodStreamHandlers): PodStream {
    const { nodeName, session } = this.#hostOf(namespace, pod);
    if (session.protocol < PORT_FORWARD_PROTOCOL_VERSION)
      throw new ServiceUnavailableError(
        `node "${nodeName}" speaks gateway protocol ${session.protocol}; port-forward needs protocol ${PORT_FORWARD_PROTOCOL_VERSION} (upgrade the agent)`,
      );
    if (this.#streams.countFor(nodeName) >= MAX_STREAMS_PER_NODE)
      throw new TooManyRequestsError(
        `node "${nodeName}" already serves ${MAX_STREAMS_PER_NODE} streams; try again later`,
      );
    const streamId = randomUUID();
    const stream = this.#streams.add(streamId, nodeName, session, handlers);
    session.send({ type: 'portOpen', streamId, pod: { namespace, name: pod }, port });
    return stream;
  }

  /** A command-stream frame from `node`. */
  streamFrame(node: string, msg: NodeStreamFrame): void {
    this.#streams.frame(node, msg);
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
    this.#streams.failNode(node);
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
