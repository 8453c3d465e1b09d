/**
 * The plumbing shared by the Engine API's hijacked streams (`exec -i/-t` and container attach): the
 * output pumped at the pace its reader takes it (multiplexed frames without a tty, raw bytes with
 * one), a stdin writing to the socket, and terminal sizes sent until the daemon takes them.
 */
import type { PassThrough } from 'node:stream';
import { Writable } from 'node:stream';
import { demux, type HijackedStream } from './engine-client.js';

/**
 * Copies the socket's output into `stdout` (and `stderr` when given; otherwise stderr frames go to
 * stdout), reading no faster than they are read. Resolves when the daemon ends the stream; never rejects.
 */
export function pumpOutput(
  hijacked: HijackedStream,
  tty: boolean,
  stdout: PassThrough,
  stderr: PassThrough | undefined,
): Promise<void> {
  const body = withHead(hijacked.head, hijacked.socket);
  // Not the answer's Content-Type: before API 1.42 dockerd calls even multiplexed output raw-stream.
  const pumped = tty
    ? copy(body, (data) => write(stdout, data))
    : demux(body, (stream, data) => write(stream === 'stdout' || !stderr ? stdout : stderr, data));
  return pumped.catch(() => undefined);
}

/**
 * A stdin writing to the socket, each write acknowledged once the socket took it; its end calls
 * `onEnd` (the caller decides whether that half-closes the socket).
 */
export function socketStdin(socket: HijackedStream['socket'], onEnd: () => void): Writable {
  return new Writable({
    write: (chunk: Buffer, _enc, cb) => {
      if (socket.destroyed || socket.writableEnded) return cb();
      socket.write(chunk, () => cb());
    },
    final: (cb) => {
      onEnd();
      cb();
    },
  });
}

/** Half-closes the socket (the daemon reads it as the end of stdin), unless it is gone already. */
export function halfClose(socket: HijackedStream['socket']): void {
  if (!socket.destroyed && !socket.writableEnded) socket.end();
}

/**
 * Sends the latest terminal size until the daemon takes it: right after a start the terminal may not
 * exist yet and the daemon refuses (the docker CLI retries the same way). A size that came meanwhile
 * is sent next; the last one wins.
 */
export class TerminalSizer {
  readonly #send: (size: { width: number; height: number }) => Promise<unknown>;
  #size: { width: number; height: number } | undefined;
  #sending = false;

  /** `send` asks the daemon for one size (`POST …/resize?h=&w=`), rejecting when refused. */
  constructor(send: (size: { width: number; height: number }) => Promise<unknown>) {
    this.#send = send;
  }

  /** Asks for `size` (sent now, or after the one being sent). */
  resize(size: { width: number; height: number }): void {
    this.#size = size;
    if (!this.#sending) void this.#apply();
  }

  async #apply(): Promise<void> {
    this.#sending = true;
    try {
      for (let attempt = 0; attempt < 20 && this.#size; attempt++) {
        const size = this.#size;
        const ok = await this.#send(size).then(
          () => true,
          () => false,
        );
        if (ok && this.#size === size) this.#size = undefined;
        else if (!ok) await new Promise((r) => setTimeout(r, 10 * (attempt + 1)));
      }
    } finally {
      this.#sending = false;
    }
  }
}

/** The socket's bytes, those read with the daemon's answer first. */
async function* withHead(head: Buffer, socket: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  if (head.length > 0) yield head;
  yield* socket;
}

/** Hands every chunk to `onData`, waiting on each. */
async function copy(body: AsyncIterable<Buffer>, onData: (data: Buffer) => Promise<void>): Promise<void> {
  for await (const chunk of body) await onData(chunk);
}

/** Writes to `stream`, resolving once it has room for more (or at once when it was destroyed). */
function write(stream: PassThrough, data: Buffer): Promise<void> {
  if (stream.destroyed || stream.writableEnded) return Promise.resolve();
  if (stream.write(data)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
  });
}
