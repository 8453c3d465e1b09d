/**
 * The local terminal of `exec -it`: raw mode while the remote command runs (keys, Ctrl-C included,
 * go to it untouched), restored on every way out — the command's end, an error, SIGTERM/SIGHUP, or
 * the process exiting — and its size, now and after each SIGWINCH (the stdout stream's `resize`).
 */
import { spawnSync } from 'node:child_process';
import type { CliIO } from '../context.js';
import type { TerminalSize } from '../client/index.js';

/** What a Node tty input stream offers (process.stdin on a terminal). */
interface TtyIn {
  isTTY: true;
  isRaw: boolean;
  setRawMode(raw: boolean): unknown;
}

/** What a Node tty output stream offers (process.stdout on a terminal). */
interface TtyOut {
  isTTY: true;
  columns: number;
  rows: number;
  on(event: 'resize', listener: () => void): unknown;
  off(event: 'resize', listener: () => void): unknown;
}

/** Whether `io`'s stdin is a terminal (kubectl's `IsTerminalIn`). */
export function stdinIsTerminal(io: CliIO): boolean {
  const s = io.stdin as Partial<TtyIn>;
  return s.isTTY === true && typeof s.setRawMode === 'function';
}

/** The terminal `io` writes to, if it is one. */
function ttyOut(io: CliIO): TtyOut | undefined {
  const o = io.stdout as Partial<TtyOut>;
  return o.isTTY === true && typeof o.on === 'function' ? (o as TtyOut) : undefined;
}

/** A terminal in raw mode until `restore()`; sizes read from stdout (or stdin's terminal). */
export class RawTerminal {
  readonly #in: TtyIn;
  readonly #out: TtyOut | undefined;
  readonly #wasRaw: boolean;
  #restored = false;
  readonly #onExit = (): void => this.restore();
  readonly #onSignal = (signal: NodeJS.Signals): void => {
    this.restore();
    // The default action, now that the terminal is usable again.
    process.kill(process.pid, signal);
  };

  private constructor(io: CliIO) {
    this.#in = io.stdin as unknown as TtyIn;
    this.#out = ttyOut(io);
    this.#wasRaw = this.#in.isRaw;
    this.#in.setRawMode(true);
    // libuv's raw mode keeps output processing (ONLCR): the remote terminal's \r\n would arrive as
    // \r\r\n. Off, as Go's term.MakeRaw has it for kubectl; setRawMode(false) restores the saved
    // settings whole, this included.
    if (io.stdin === process.stdin) spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'] });
    process.once('exit', this.#onExit);
    for (const s of ['SIGTERM', 'SIGHUP'] as const) process.once(s, this.#onSignal);
  }

  /** Puts `io`'s terminal in raw mode; undefined when stdin is not a terminal. */
  static enter(io: CliIO): RawTerminal | undefined {
    return stdinIsTerminal(io) ? new RawTerminal(io) : undefined;
  }

  /** Subscribes to the terminal's size (the first at once); returns the unsubscribe. */
  readonly sizes = (send: (size: TerminalSize) => void): (() => void) => {
    const out = this.#out;
    if (!out) return () => undefined;
    const now = (): void => {
      if (out.columns > 0 && out.rows > 0) send({ width: out.columns, height: out.rows });
    };
    now();
    out.on('resize', now);
    return () => out.off('resize', now);
  };

  /** Leaves raw mode (idempotent). */
  restore(): void {
    if (this.#restored) return;
    this.#restored = true;
    process.off('exit', this.#onExit);
    for (const s of ['SIGTERM', 'SIGHUP'] as const) process.off(s, this.#onSignal);
    try {
      this.#in.setRawMode(this.#wasRaw);
    } catch {
      // the terminal is gone (hung up): nothing to restore
    }
  }
}
