/**
 * The CRI container log writer both runtimes use: a container's stdout/stderr appended to its log file
 * in the format the agent and `edgectl logs` read: `<RFC3339Nano> <stdout|stderr> <F|P> <line>`.
 * Output is split into lines per stream; an unfinished line waits for its newline (or is written as
 * `P` when the stream closes, or when it grows past 16 KiB, as the kubelet splits long lines).
 *
 * Rotation follows the kubelet's (`--container-log-max-size`, `--container-log-max-files`): when the
 * next write would take the live file past the maximum size, `0.log` becomes `0.log.<YYYYMMDD-hhmmss>`
 * and a new `0.log` is started; at most `maxFiles` files are kept, the live one included, the oldest
 * rotated ones deleted. The kubelet rotates from outside and asks the runtime to reopen; here the
 * writer rotates itself, so a rotated file is complete (flushed) before it is renamed — a reader
 * following the live file may read the old one to its end once it sees the rename.
 *
 * Backpressure: output waiting for the disk (the file stream's buffer plus output held during a
 * rotation) is bounded. `write()` returns false once it passes `PAUSE_BYTES`; a producer that can
 * wait (a container's pipe, the Engine API's log stream) pauses until `drained()` resolves, so a
 * container writing faster than the disk is slowed to the disk's pace instead of growing the agent's
 * heap. A producer that cannot wait (a Wasm guest's output, posted from its executor) is cut off past
 * `maxPendingBytes`: the excess is dropped, counted, and a one-line marker saying how many lines were
 * lost goes into the log once there is room again (as the kubelet's non-blocking logger does).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';

type StreamName = 'stdout' | 'stderr';
const MAX_LINE = 16 * 1024;
/** Pending output past which `write()` asks its producer to pause (also the file stream's highWaterMark). */
const PAUSE_BYTES = 64 * 1024;
/** Pending output past which output is dropped (producers that do not pause). */
export const DEFAULT_MAX_PENDING_LOG_BYTES = 1024 * 1024;

/** When the writer rotates its file, and how many files it keeps. */
export interface CriLogRotation {
  /** Largest size of one file, in bytes (the kubelet's default: 10 MiB). */
  maxBytes: number;
  /** Files kept, the live one included (at least 2; the kubelet's default: 5). */
  maxFiles: number;
}

/** The kubelet's defaults: 10 MiB, 5 files. */
export const DEFAULT_CRI_LOG_ROTATION: CriLogRotation = { maxBytes: 10 * 1024 * 1024, maxFiles: 5 };

/** `2024-05-01T12:00:00.123456789Z`. */
function rfc3339Nano(nowMs: number = performance.timeOrigin + performance.now()): string {
  const whole = Math.floor(nowMs);
  return `${new Date(whole).toISOString().slice(0, 23)}${String(Math.floor((nowMs - whole) * 1e6)).padStart(6, '0')}Z`;
}

/** The kubelet's rotation suffix, `20060102-150405` (UTC). */
function rotationStamp(now = new Date()): string {
  const iso = now.toISOString();
  return `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}`;
}

/** One container instance's log file. */
export class CriLogWriter {
  #out: WriteStream;
  readonly #path: string;
  readonly #rotation: CriLogRotation | undefined;
  readonly #partial: Record<StreamName, string> = { stdout: '', stderr: '' };
  readonly #decoders: Record<StreamName, StringDecoder> = {
    stdout: new StringDecoder('utf8'),
    stderr: new StringDecoder('utf8'),
  };
  /** Bytes in the live file (as written to the stream). */
  #size: number;
  /** Output held while a rotation is under way (written to the new file after it). */
  #held: string[] | undefined;
  #heldBytes = 0;
  readonly #maxPending: number;
  /** Lines dropped since the last marker, and in all (diagnostics, tests). */
  #droppedLines = 0;
  #droppedTotal = 0;
  /** Producers waiting for room (`drained()`). */
  #waiters: (() => void)[] = [];
  #rotating: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(
    path: string,
    out: WriteStream,
    size: number,
    rotation: CriLogRotation | undefined,
    maxPending: number,
  ) {
    this.#path = path;
    this.#out = out;
    this.#size = size;
    this.#rotation = rotation;
    this.#maxPending = maxPending;
    this.#watch(out);
  }

  /**
   * Opens `path` for appending, creating its directory; with `rotation`, the file is rotated as the
   * kubelet does (see the file comment). `maxPendingBytes` (default 1 MiB) bounds output waiting for
   * the disk; past it output is dropped.
   */
  static async open(
    path: string,
    rotation?: CriLogRotation,
    opts: { maxPendingBytes?: number } = {},
  ): Promise<CriLogWriter> {
    await mkdir(dirname(path), { recursive: true });
    const size = await stat(path).then(
      (s) => s.size,
      () => 0,
    );
    const maxPending = Math.max(PAUSE_BYTES, opts.maxPendingBytes ?? DEFAULT_MAX_PENDING_LOG_BYTES);
    return new CriLogWriter(path, CriLogWriter.#stream(path), size, rotation, maxPending);
  }

  static #stream(path: string): WriteStream {
    return createWriteStream(path, { flags: 'a', highWaterMark: PAUSE_BYTES });
  }

  #watch(out: WriteStream): void {
    // A log file that cannot be written must not take the agent down; the container keeps running
    // (and its producers are not left paused: a broken stream counts as having room, see pendingBytes).
    out.on('error', () => this.#wake());
    out.on('drain', () => this.#wake());
  }

  /** Bytes waiting for the disk: the file stream's buffer and output held during a rotation. */
  get pendingBytes(): number {
    return (this.#out.destroyed ? 0 : this.#out.writableLength) + this.#heldBytes;
  }

  /** Lines dropped so far because the disk did not keep up (or a rotation held too much). */
  get droppedLines(): number {
    return this.#droppedTotal;
  }

  /**
   * Resolves once pending output is below the pause mark again (at once when it is, or when the
   * writer is closed): a producer that got `false` from `write()` waits for this before reading more.
   */
  drained(): Promise<void> {
    if (this.#closed || this.pendingBytes < PAUSE_BYTES) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #wake(): void {
    if (!this.#closed && this.pendingBytes >= PAUSE_BYTES) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /**
   * Appends a chunk of the container's `stream`. Returns false when the producer should pause until
   * `drained()` (output is still taken, up to the drop bound). `at` (RFC 3339 with nanoseconds) is
   * the time the runtime stamped the chunk with (the Engine API's log stream), else the time now.
   */
  write(stream: StreamName, data: Uint8Array, at?: string): boolean {
    if (this.#closed) return true;
    const text =
      this.#partial[stream] + this.#decoders[stream].write(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    const lines = text.split('\n');
    let rest = lines.pop() ?? '';
    const ts = at ?? rfc3339Nano();
    let out = lines.map((l) => `${ts} ${stream} F ${l.endsWith('\r') ? l.slice(0, -1) : l}\n`).join('');
    while (rest.length > MAX_LINE) {
      out += `${ts} ${stream} P ${rest.slice(0, MAX_LINE)}\n`;
      rest = rest.slice(MAX_LINE);
    }
    this.#partial[stream] = rest;
    if (out) this.#emit(out);
    return this.pendingBytes < PAUSE_BYTES;
  }

  /** A line of the runtime's own (why the container could not start, …), logged as stderr. */
  note(line: string): void {
    if (!this.#closed) this.#emit(`${rfc3339Nano()} stderr F ${line}\n`);
  }

  /** Flushes unfinished lines (as `P`) and closes the file. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.#partial[stream] + this.#decoders[stream].end();
      if (rest) this.#emit(`${rfc3339Nano()} ${stream} P ${rest}\n`);
    }
    this.#emitDropMarker();
    this.#closed = true;
    this.#wake();
    // A rotation may start another one (its held output filling the new file): wait for the last.
    for (let current = this.#rotating; ; current = this.#rotating) {
      await current;
      if (current === this.#rotating) break;
    }
    await new Promise<void>((resolve) => this.#out.end(resolve));
  }

  #emit(text: string): void {
    const bytes = Buffer.byteLength(text);
    // Bounded: output past the pending bound is lost (a producer that pauses never gets here by
    // more than a chunk), and the log says how much once there is room.
    if (this.pendingBytes + bytes > this.#maxPending) {
      const lines = countLines(text);
      this.#droppedLines += lines;
      this.#droppedTotal += lines;
      return;
    }
    this.#emitDropMarker();
    this.#append(text, bytes);
  }

  /** The one-line marker for the lines dropped since the last one (not itself subject to the bound). */
  #emitDropMarker(): void {
    if (this.#droppedLines === 0) return;
    const n = this.#droppedLines;
    this.#droppedLines = 0;
    const marker = `${rfc3339Nano()} stderr F [edgeplane] ${n} line${n === 1 ? '' : 's'} of output dropped: the log could not keep up\n`;
    this.#append(marker, Buffer.byteLength(marker));
  }

  #append(text: string, bytes: number): void {
    if (this.#held) {
      this.#held.push(text);
      this.#heldBytes += bytes;
      return;
    }
    if (this.#rotation && this.#size > 0 && this.#size + bytes > this.#rotation.maxBytes) {
      this.#held = [text];
      this.#heldBytes = bytes;
      this.#rotating = this.#rotate(this.#rotation);
      return;
    }
    this.#size += bytes;
    this.#out.write(text);
  }

  async #rotate(rotation: CriLogRotation): Promise<void> {
    const old = this.#out;
    // Everything written so far reaches the old file before it is renamed (a follower reads it to its end).
    await new Promise<void>((resolve) => old.end(resolve));
    try {
      await rename(this.#path, await this.#rotatedName());
    } catch {
      // Not renamed (the directory went away?): keep appending to the same file rather than losing output.
    }
    this.#out = CriLogWriter.#stream(this.#path);
    this.#watch(this.#out);
    this.#size = 0;
    const held = this.#held ?? [];
    this.#held = undefined;
    this.#heldBytes = 0;
    // Before anything written from now on (and held again if it starts the next rotation); already
    // counted against the bound when it was held.
    for (const text of held) this.#append(text, Buffer.byteLength(text));
    this.#emitDropMarker();
    this.#wake();
    // Logs are not state: a rotation is not fsynced (a power cut at worst leaves the file unrotated).
    await this.#prune(rotation).catch(() => undefined);
  }

  /**
   * `0.log.<stamp>`, or `0.log.<stamp>-NNN` after the rotations that already took that second (one
   * past the highest number in use, so names keep sorting by age after the oldest were deleted).
   */
  async #rotatedName(): Promise<string> {
    const base = `${basename(this.#path)}.${rotationStamp()}`;
    const taken = (await readdir(dirname(this.#path)).catch(() => [] as string[])).filter(
      (n) => n === base || n.startsWith(`${base}-`),
    );
    if (taken.length === 0) return join(dirname(this.#path), base);
    const highest = Math.max(...taken.map((n) => (n === base ? 0 : Number(n.slice(base.length + 1)) || 0)));
    return join(dirname(this.#path), `${base}-${String(highest + 1).padStart(3, '0')}`);
  }

  /** Deletes the oldest rotated files past `maxFiles - 1` (names sort by age). */
  async #prune(rotation: CriLogRotation): Promise<void> {
    const prefix = `${basename(this.#path)}.`;
    const dir = dirname(this.#path);
    const rotated = (await readdir(dir)).filter((n) => n.startsWith(prefix)).sort();
    const excess = rotated.length - Math.max(1, rotation.maxFiles - 1);
    for (const name of rotated.slice(0, Math.max(0, excess))) await unlink(join(dir, name)).catch(() => undefined);
  }
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
