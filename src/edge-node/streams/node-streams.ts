/**
 * The command streams the hub has open on this node (protocol 4, `src/api/wire-stream.ts`): opens
 * each in its pod's running container, routes the hub's frames to it, and kills them all when the
 * hub's session goes (nobody is left to read their output or feed their stdin).
 *
 * A runtime with `execStream` runs the process with streamed stdio. One without it (Wasm today)
 * still serves a stream without stdin or tty through its one-shot `exec`, whose output is sent when
 * the command ends; stdin or a tty on such a runtime is refused with a message saying so.
 *
 * A port-forward stream (`portOpen`, protocol 5) is a connection to a pod's port instead of a
 * process (`port-connection.ts`), relayed the same way.
 */
import { PassThrough } from 'node:stream';
import {
  MAX_STREAMS_PER_NODE,
  type ExecProcess,
  type HubStreamFrame,
  type Logger,
  type Runtime,
} from '../../api/index.js';
import type { PodWorkers } from '../pods/pod-workers.js';
import { NodeStream, type StreamSend } from './node-stream.js';
import { openPortConnection, type LocalHttp } from './port-connection.js';

type StreamOpen = Extract<HubStreamFrame, { type: 'streamOpen' }>;

/** How long a one-shot exec behind a stream may run (the stream's cancel ends it sooner). */
const ONE_SHOT_TIMEOUT_MS = 3600_000;

/** What the streams need: the pod workers and the session to send on. */
export interface NodeStreamsDeps {
  workers: Pick<PodWorkers, 'find'>;
  send: StreamSend;
  logger: Logger;
  /** Delivery of port-forwarded HTTP to in-process (Wasm) ports; without it those are refused. */
  localHttp?: LocalHttp;
}

/** The node's open command streams. */
export class NodeStreams {
  readonly #deps: NodeStreamsDeps;
  readonly #streams = new Map<string, NodeStream>();

  constructor(deps: NodeStreamsDeps) {
    this.#deps = deps;
  }

  /** Streams open now. */
  get size(): number {
    return this.#streams.size;
  }

  /** Handles one stream frame of the hub. */
  handle(msg: HubStreamFrame): void {
    if (msg.type === 'streamOpen') return this.#open(msg.streamId, () => this.#start(msg));
    if (msg.type === 'portOpen')
      return this.#open(msg.streamId, () =>
        openPortConnection({ workers: this.#deps.workers, localHttp: this.#deps.localHttp }, msg),
      );
    const stream = this.#streams.get(msg.streamId);
    if (!stream) return; // ended already: the hub's late frames cross our streamExit
    switch (msg.type) {
      case 'streamInput':
        if (!stream.input(msg.data)) this.#broken(stream, msg.streamId, 'stdin past its window');
        return;
      case 'streamAck':
        if (!stream.acknowledged(msg.bytes)) this.#broken(stream, msg.streamId, 'an ack past the window');
        return;
      case 'streamResize':
        stream.resize(msg.size);
        return;
      case 'streamClose':
        stream.closeStdin();
        return;
      case 'streamCancel':
        stream.cancel();
        return;
    }
  }

  /** Kills every stream (the hub's session closed). */
  cancelAll(): void {
    for (const s of this.#streams.values()) s.cancel();
  }

  #broken(stream: NodeStream, id: string, why: string): void {
    this.#deps.logger.warn({ stream: id, why }, 'hub broke the stream protocol; cancelling the stream');
    stream.cancel();
  }

  #open(streamId: string, start: () => Promise<ExecProcess>): void {
    const send = this.#deps.send;
    if (this.#streams.has(streamId)) return;
    const stream = new NodeStream(streamId, send);
    if (this.#streams.size >= MAX_STREAMS_PER_NODE) {
      void stream.run(() => Promise.reject(new Error(`this node already runs ${MAX_STREAMS_PER_NODE} streams`)));
      return;
    }
    this.#streams.set(streamId, stream);
    void stream.run(start).finally(() => this.#streams.delete(streamId));
  }

  #start(msg: StreamOpen): Promise<ExecProcess> {
    const { namespace, name } = msg.pod;
    const worker = this.#deps.workers.find(namespace, name);
    if (!worker) return Promise.reject(new Error(`pod ${namespace}/${name} is not running on this node`));
    const inst = worker.runningInstance(msg.container);
    if (!inst)
      return Promise.reject(new Error(`container ${msg.container ?? '(default)'} of pod ${name} is not running`));
    const { runtime, id } = inst;
    const opts = { stdin: msg.stdin, tty: msg.tty, ...(msg.size ? { size: msg.size } : {}) };
    if (runtime.execStream) return runtime.execStream(id, msg.command, opts);
    // kubectl cp runs `test -d <dest>` then tar in the container; a Wasm command is the component
    // itself (which would take them for its own arguments and might run for long), never those tools.
    if (isCopyTool(msg.command))
      return Promise.reject(
        new Error(
          `kubectl cp needs tar in the container; a Wasm container has no tar (exec runs the component's command)`,
        ),
      );
    if (msg.stdin || msg.tty)
      return Promise.reject(
        new Error(
          `runtime "${runtime.name}" cannot give a command ${msg.tty ? 'a tty' : 'stdin'} yet (kubectl exec -i/-t): run it without -i/-t`,
        ),
      );
    return Promise.resolve(oneShot(runtime, id, msg.command));
  }
}

/** Whether `command` is one of the commands kubectl cp runs in the container. */
function isCopyTool(command: readonly string[]): boolean {
  return command[0] === 'tar' || (command[0] === 'test' && command[1] === '-d' && command.length === 3);
}

/** A one-shot exec as a process: its output arrives when it ends. */
function oneShot(runtime: Runtime, id: string, command: readonly string[]): ExecProcess {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const run = runtime.exec
    ? runtime.exec(id, command, { timeoutMs: ONE_SHOT_TIMEOUT_MS })
    : Promise.reject(new Error(`runtime "${runtime.name}" cannot exec commands`));
  const exited = run.then(
    (r) => {
      stdout.end(r.stdout);
      stderr.end(r.stderr);
      return r.exitCode;
    },
    (err: unknown) => {
      stdout.end();
      stderr.end(`${err instanceof Error ? err.message : String(err)}\n`);
      return 126;
    },
  );
  return {
    stdin: undefined,
    stdout,
    stderr,
    resize: () => undefined,
    // A one-shot exec has no cancel: it runs to its end (or its timeout); the stream drops its output.
    kill: () => undefined,
    exited,
  };
}
