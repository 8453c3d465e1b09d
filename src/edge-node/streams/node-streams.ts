/**
 * The command streams the hub has open on this node (protocol 4, `src/api/wire-stream.ts`): opens
 * each in its pod's running container, routes the hub's frames to it, and kills them all when the
 * hub's session goes (nobody is left to read their output or feed their stdin).
 *
 * A runtime with `execStream` (runc, podman, dockerd, and Wasm, whose command instance reads stdin
 * and writes output as they come, see runtime-wasm/exec-stream.ts) runs the process with streamed
 * stdio. One without it serves a stream through its one-shot `exec`, whose output is sent when the
 * command ends. Stdin is read whole first (up to MAX_ONE_SHOT_STDIN_BYTES, until the client closes
 * it: `echo … | kubectl exec -i`) and given to the command as its stdin. A tty on such a runtime is
 * refused with a message saying why.
 *
 * A port-forward stream (`portOpen`, protocol 5) is a connection to a pod's port instead of a
 * process (`port-connection.ts`), relayed the same way. An attach stream (`attachOpen`, protocol 8)
 * joins a container's main process (`Runtime.attach`); cancelling it detaches.
 */
import { PassThrough, Writable } from 'node:stream';
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
type AttachOpen = Extract<HubStreamFrame, { type: 'attachOpen' }>;

/** How long a one-shot exec behind a stream may run (the stream's cancel ends it sooner). */
const ONE_SHOT_TIMEOUT_MS = 3600_000;

/** Most stdin a one-shot exec takes (it is held whole, then handed to the command). */
export const MAX_ONE_SHOT_STDIN_BYTES = 8 * 1024 * 1024;

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
    if (msg.type === 'attachOpen') return this.#open(msg.streamId, () => this.#attach(msg));
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

  /** The running instance a stream is for, or why there is none. */
  #running(msg: AttachOpen | StreamOpen): { runtime: Runtime; id: string } | string {
    const { namespace, name } = msg.pod;
    const worker = this.#deps.workers.find(namespace, name);
    if (!worker) return `pod ${namespace}/${name} is not running on this node`;
    const inst = worker.runningInstance(msg.container);
    if (!inst) return `container ${msg.container ?? '(default)'} of pod ${name} is not running`;
    return inst;
  }

  /** Joins a running container's main process (kubectl `attach -i/-t`, protocol 8). */
  #attach(msg: AttachOpen): Promise<ExecProcess> {
    const found = this.#running(msg);
    if (typeof found === 'string') return Promise.reject(new Error(found));
    const { runtime, id } = found;
    if (!runtime.attach)
      return Promise.reject(
        new Error(
          `runtime "${runtime.name}" cannot attach to a container's stdin or terminal (attach without -i/-t follows its output)`,
        ),
      );
    return runtime.attach(id, { stdin: msg.stdin, tty: msg.tty, ...(msg.size ? { size: msg.size } : {}) });
  }

  #start(msg: StreamOpen): Promise<ExecProcess> {
    const found = this.#running(msg);
    if (typeof found === 'string') return Promise.reject(new Error(found));
    const { runtime, id } = found;
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
    if (msg.tty)
      return Promise.reject(
        new Error(
          `runtime "${runtime.name}" cannot give a command a terminal (kubectl exec -t): its command reads its stdin whole before it starts, so use -i without -t`,
        ),
      );
    if (msg.stdin) return Promise.resolve(oneShotWithStdin(runtime, id, msg.command));
    return Promise.resolve(oneShot(runtime, id, msg.command));
  }
}

/** Whether `command` is one of the commands kubectl cp runs in the container. */
function isCopyTool(command: readonly string[]): boolean {
  return command[0] === 'tar' || (command[0] === 'test' && command[1] === '-d' && command.length === 3);
}

/**
 * A one-shot exec whose stdin is collected first: the command starts once the client closed stdin
 * (kubectl does at the end of its input), with all of it. Past MAX_ONE_SHOT_STDIN_BYTES the command
 * does not run and the stream ends with a message saying why.
 */
function oneShotWithStdin(runtime: Runtime, id: string, command: readonly string[]): ExecProcess {
  const chunks: Buffer[] = [];
  let size = 0;
  let started: ExecProcess | undefined;
  let cancelled = false;
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let settle: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => (settle = resolve));
  const run = (stdin: Uint8Array | undefined, refusal?: string): void => {
    if (started || cancelled) return;
    started = oneShot(runtime, id, command, stdin, refusal);
    started.stdout.pipe(stdout);
    started.stderr?.pipe(stderr);
    void started.exited.then(settle);
  };
  const stdin = new Writable({
    write: (chunk: Buffer, _enc, cb) => {
      size += chunk.length;
      if (size <= MAX_ONE_SHOT_STDIN_BYTES) chunks.push(chunk);
      cb();
    },
    final: (cb) => {
      if (size > MAX_ONE_SHOT_STDIN_BYTES)
        run(
          undefined,
          `stdin of ${size} bytes is more than the ${MAX_ONE_SHOT_STDIN_BYTES} a command of runtime "${runtime.name}" takes (it is read whole before the command starts)`,
        );
      else run(Buffer.concat(chunks));
      cb();
    },
  });
  return {
    stdin,
    stdout,
    stderr,
    resize: () => undefined,
    kill: () => {
      if (started) return started.kill();
      // Cancelled before stdin ended: the command never runs.
      cancelled = true;
      stdout.end();
      stderr.end();
      settle(137);
    },
    exited,
  };
}

/** A one-shot exec as a process: its output arrives when it ends (a `refusal` ends it at once, unrun). */
function oneShot(
  runtime: Runtime,
  id: string,
  command: readonly string[],
  stdin?: Uint8Array,
  refusal?: string,
): ExecProcess {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const abort = new AbortController();
  const run =
    refusal !== undefined
      ? Promise.reject(new Error(refusal))
      : runtime.exec
        ? runtime.exec(id, command, {
            timeoutMs: ONE_SHOT_TIMEOUT_MS,
            signal: abort.signal,
            ...(stdin ? { stdin } : {}),
          })
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
    // The client went: the runtime ends the command (Wasm: its executor), else it runs to its timeout.
    kill: () => abort.abort(),
    exited,
  };
}
