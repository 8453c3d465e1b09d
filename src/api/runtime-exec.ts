/**
 * The exec and attach shapes of the `Runtime` interface (runtime.ts): a one-shot command's options and
 * outcome (exec probes, `edgectl exec`), a streamed process (kubectl `exec -i/-t`, `cp`) and attach.
 */
import type { Readable, Writable } from 'node:stream';

/** The outcome of a command run in a container's context (exec probes, `edgectl exec`). */
export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** How to run a one-shot command. */
export interface ExecOptions {
  timeoutMs: number;
  /**
   * Its whole stdin, for a runtime that takes it (Wasm: `wasi:cli/stdin` of the command's instance,
   * which cannot wait for input that has not come yet); others ignore it.
   */
  stdin?: Uint8Array;
  /**
   * Aborting ends the command (its client went): the promise rejects. The Wasm runtime ends the
   * executor running it, as at its timeout; a runtime that cannot cancel lets it run to its timeout.
   */
  signal?: AbortSignal;
}

/**
 * A process started in a container's context with its stdio as streams (kubectl `exec -i/-t`, `cp`):
 * output is read as it comes, so a reader that stops reading stops the process at a full pipe.
 */
export interface ExecProcess {
  /** Its stdin; undefined when it was started without one. */
  readonly stdin: Writable | undefined;
  readonly stdout: Readable;
  /** Undefined with a tty (stderr is the terminal). */
  readonly stderr: Readable | undefined;
  /** Sets the terminal's size (with a tty; otherwise ignored). */
  resize(size: { width: number; height: number }): void;
  /** Kills the process (and what runs it). Idempotent. */
  kill(): void;
  /** Resolves with its exit code (a killed process: 128 + the signal) once it and its output ended. */
  readonly exited: Promise<number>;
}

/** How to start an {@link ExecProcess}. */
export interface ExecStreamOptions {
  stdin: boolean;
  tty: boolean;
  /** The terminal's first size (with `tty`). */
  size?: { width: number; height: number };
}

/** How to attach to a container's main process (kubectl `attach -i/-t`). */
export interface AttachOptions {
  /** The client writes to the container's stdin (which it must have been started with). */
  stdin: boolean;
  /** The client is a terminal: resizes size the container's. */
  tty: boolean;
  size?: { width: number; height: number };
}
