/**
 * Attaches to a runc container's main process (kubectl `attach -i/-t`): every attach gets what the
 * container writes from then on, may write to its stdin (a container started with `stdin: true`
 * has a stdin pipe the shim keeps open, runc-shim.ts) and, with a terminal, resizes it. Detaching leaves the container
 * running; with `stdinOnce` the container's stdin is closed when the first attach that wrote to it
 * ends (its client closed stdin or went), as the kubelet does.
 *
 * Output is shared with the log: a full attach pauses the container's pipe (as a slow disk does) until
 * its client took what it had, so nothing grows with a slow client.
 */
import { PassThrough, Writable } from 'node:stream';
import type { AttachOptions, ExecProcess } from '../../api/index.js';

/** What the attachments need of the container's process. */
export interface AttachTarget {
  /** The container's stdin pipe; undefined when it was started without one. */
  stdin: Writable | undefined;
  /** Close the stdin after the first attach that wrote to it ends. */
  stdinOnce: boolean;
  /** The container runs on a terminal: output is one stream, and resizes apply. */
  tty: boolean;
  /** Sets the terminal's size. */
  resize(size: { width: number; height: number }): void;
  /** Closes the container's stdin beyond `stdin` (other writers kept on its pipe: the shim's holder). */
  closeStdin?(): void;
}

interface Attachment {
  stdout: PassThrough;
  stderr: PassThrough | undefined;
  finish(code: number): void;
}

/** The attachments of one container process. */
export class ContainerAttachments {
  readonly #target: AttachTarget;
  readonly #open = new Set<Attachment>();
  #exitCode: number | undefined;
  #stdinClosed = false;

  constructor(target: AttachTarget) {
    this.#target = target;
  }

  /**
   * Hands output to every attachment; resolves at once, or (when one is full) once all took it, so
   * the caller can pause its source meanwhile. Undefined when nothing needs waiting for.
   */
  publish(fd: 1 | 2, data: Buffer): Promise<void> | undefined {
    const waits: Promise<void>[] = [];
    for (const a of this.#open) {
      // With a tty, stderr is the terminal too; without, each stream goes to its own channel.
      const out = fd === 2 && a.stderr ? a.stderr : a.stdout;
      if (!out.write(data)) waits.push(new Promise((resolve) => out.once('drain', resolve).once('close', resolve)));
    }
    return waits.length > 0 ? Promise.all(waits).then(() => undefined) : undefined;
  }

  /** The process exited with `code` (after its last output): every attachment ends with it. */
  exited(code: number): void {
    this.#exitCode = code;
    for (const a of [...this.#open]) a.finish(code);
  }

  /** A new attachment. */
  attach(opts: AttachOptions): ExecProcess {
    const target = this.#target;
    const stdout = new PassThrough();
    const stderr = target.tty ? undefined : new PassThrough();
    let settle: (code: number) => void = () => undefined;
    const exited = new Promise<number>((resolve) => (settle = resolve));
    const wrote = opts.stdin && target.stdin !== undefined && !this.#stdinClosed;
    let done = false;
    const attachment: Attachment = {
      stdout,
      stderr,
      finish: (code) => {
        if (done) return;
        done = true;
        this.#open.delete(attachment);
        if (wrote && target.stdinOnce) this.#closeStdin();
        stdout.end();
        stderr?.end();
        settle(code);
      },
    };
    if (this.#exitCode !== undefined) {
      attachment.finish(this.#exitCode);
    } else this.#open.add(attachment);
    const stdin = wrote
      ? new Writable({
          write: (chunk: Buffer, _enc, cb) => {
            const pipe = target.stdin;
            if (!pipe || this.#stdinClosed || pipe.destroyed) return cb();
            // Acknowledged once the container's pipe took it: a container that does not read blocks the client.
            if (pipe.write(chunk)) cb();
            else pipe.once('drain', () => cb());
          },
          // The client's stdin ended: the container's stays open unless it is stdinOnce.
          final: (cb) => {
            if (target.stdinOnce) this.#closeStdin();
            cb();
          },
        })
      : undefined;
    return {
      stdin,
      stdout,
      stderr,
      resize: (size) => {
        if (target.tty) target.resize(size);
      },
      // Detaching: the container runs on.
      kill: () => attachment.finish(0),
      exited,
    };
  }

  #closeStdin(): void {
    if (this.#stdinClosed) return;
    this.#stdinClosed = true;
    this.#target.stdin?.end();
    this.#target.closeStdin?.();
  }
}
