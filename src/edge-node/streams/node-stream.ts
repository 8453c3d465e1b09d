/**
 * One command stream the hub opened (`streamOpen`, protocol 4): a process in a pod's container whose
 * output goes to the hub as it comes, within the hub's credit (`streamAck`), and whose stdin is fed
 * from `streamInput` frames, each acknowledged once the process's pipe took it. The stream ends with
 * exactly one `streamExit`, after all its output.
 */
import type { Readable } from 'node:stream';
import {
  STREAM_CHUNK_MAX_BYTES,
  StreamCredit,
  errorMessage,
  type ExecProcess,
  type NodeStreamFrame,
  type TerminalSize,
} from '../../api/index.js';

/** How long a cancelled stream waits for its process's output to end before closing the pipes. */
const CANCEL_GRACE_MS = 2000;

/** Where a stream's frames go (the hub session). */
export type StreamSend = (msg: NodeStreamFrame) => void;

/** A running stream; `done` settles once its `streamExit` was sent. */
export class NodeStream {
  readonly #id: string;
  readonly #send: StreamSend;
  /** Output the hub has room for. */
  readonly #outCredit = new StreamCredit();
  /** Stdin the hub may still send unacknowledged (a hub past it breaks the protocol). */
  readonly #inCredit = new StreamCredit();
  #creditWaiters: (() => void)[] = [];
  #proc: ExecProcess | undefined;
  #cancelled = false;
  #stdinEnded = false;
  /** Stdin that came before the process started. */
  #early: Uint8Array[] = [];
  /** The latest terminal size that came before the process started. */
  #size: TerminalSize | undefined;
  #ended = false;

  constructor(id: string, send: StreamSend) {
    this.#id = id;
    this.#send = send;
  }

  /** Runs the process `start` gives until it ended and its output was sent; never throws. */
  async run(start: () => Promise<ExecProcess>): Promise<void> {
    let proc: ExecProcess;
    try {
      proc = await start();
    } catch (err) {
      return this.#exit({ error: errorMessage(err) });
    }
    this.#proc = proc;
    // Input that came while it started (a port-forward client writes at once), in order, before any close.
    for (const data of this.#early.splice(0)) this.#deliver(proc, data);
    if (this.#size) proc.resize(this.#size);
    if (this.#cancelled) this.cancel();
    if (this.#stdinEnded) proc.stdin?.end();
    const pumps = [this.#pump(proc.stdout, 1), ...(proc.stderr ? [this.#pump(proc.stderr, 2)] : [])];
    const [code] = await Promise.all([proc.exited, ...pumps]);
    this.#exit({ exitCode: code });
  }

  /** Stdin bytes from the hub; false when the hub sent past its window (the caller cancels the stream). */
  input(data: Uint8Array): boolean {
    if (!this.#inCredit.take(data.byteLength)) return false;
    const proc = this.#proc;
    // Not started yet: held until it is (at most the window, which the hub keeps within).
    if (!proc && !this.#ended && !this.#stdinEnded) this.#early.push(data);
    else if (!proc || this.#stdinEnded) this.#ack(data.byteLength);
    else this.#deliver(proc, data);
    return true;
  }

  /** Writes stdin bytes, acknowledged once the pipe took them; dropped (and acknowledged) when it has no stdin. */
  #deliver(proc: ExecProcess, data: Uint8Array): void {
    const stdin = proc.stdin;
    if (!stdin || stdin.writableEnded || stdin.destroyed) {
      // Nowhere to write (no stdin, or it closed): the bytes are dropped, the credit given back.
      this.#ack(data.byteLength);
      return;
    }
    stdin.write(data, () => this.#ack(data.byteLength));
  }

  /** The hub's client is at the end of its stdin. */
  closeStdin(): void {
    this.#stdinEnded = true;
    this.#proc?.stdin?.end();
  }

  /** The hub passed `bytes` of output on; a hub acknowledging more than it had breaks the protocol. */
  acknowledged(bytes: number): boolean {
    if (!this.#outCredit.give(bytes)) return false;
    const waiters = this.#creditWaiters;
    this.#creditWaiters = [];
    for (const w of waiters) w();
    return true;
  }

  resize(size: TerminalSize): void {
    // kubectl sends its first size as soon as it connects, often before the process has started:
    // the latest size is kept and applied once it has.
    if (this.#proc) this.#proc.resize(size);
    else this.#size = size;
  }

  /** Kills the process (the client went, or the hub's session did); its `streamExit` still follows. */
  cancel(): void {
    this.#cancelled = true;
    this.#proc?.kill();
    // A process that handed its pipes to something the kill did not reach must not hold the stream
    // open: after a grace, our ends of its pipes are closed, which ends the pumps.
    const proc = this.#proc;
    if (proc)
      setTimeout(() => {
        proc.stdout.destroy();
        proc.stderr?.destroy();
      }, CANCEL_GRACE_MS).unref();
    // A pump waiting for credit that will never come (the hub is gone) must not hold the exit.
    const waiters = this.#creditWaiters;
    this.#creditWaiters = [];
    for (const w of waiters) w();
  }

  #ack(bytes: number): void {
    this.#inCredit.give(bytes);
    if (!this.#ended) this.#send({ type: 'streamAck', streamId: this.#id, bytes });
  }

  /**
   * Sends what `from` yields in chunks the frames hold, each when there is credit for it. While the
   * credit is spent nothing is read, so the pipe fills and the process waits: nothing buffers here.
   */
  async #pump(from: Readable, fd: 1 | 2): Promise<void> {
    try {
      for await (const chunk of from as AsyncIterable<Buffer>) {
        for (let off = 0; off < chunk.length; off += STREAM_CHUNK_MAX_BYTES) {
          const piece = chunk.subarray(off, off + STREAM_CHUNK_MAX_BYTES);
          while (!this.#cancelled && !this.#outCredit.take(piece.length))
            await new Promise<void>((resolve) => this.#creditWaiters.push(resolve));
          if (this.#cancelled) continue; // drain the pipe so the (killed) process can go
          this.#send({ type: 'streamOutput', streamId: this.#id, fd, data: piece });
        }
      }
    } catch {
      // A pipe torn down with the process: its exit code says what happened.
    }
  }

  #exit(end: { exitCode: number } | { error: string }): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#send({ type: 'streamExit', streamId: this.#id, ...end });
  }
}
