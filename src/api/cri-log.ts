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
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';

type StreamName = 'stdout' | 'stderr';
const MAX_LINE = 16 * 1024;
/** Output held during a rotation is bounded by the file size, or this when that is smaller. */
const MAX_HELD_BYTES = 1024 * 1024;

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
  readonly #decoders: Record<StreamName, StringDecoder> = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  /** Bytes in the live file (as written to the stream). */
  #size: number;
  /** Output held while a rotation is under way (written to the new file after it). */
  #held: string[] | undefined;
  #heldBytes = 0;
  #dropped = 0;
  #rotating: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(path: string, out: WriteStream, size: number, rotation: CriLogRotation | undefined) {
    this.#path = path;
    this.#out = out;
    this.#size = size;
    this.#rotation = rotation;
    CriLogWriter.#ignoreErrors(out);
  }

  /**
   * Opens `path` for appending, creating its directory; with `rotation`, the file is rotated as the
   * kubelet does (see the file comment).
   */
  static async open(path: string, rotation?: CriLogRotation): Promise<CriLogWriter> {
    await mkdir(dirname(path), { recursive: true });
    const size = await stat(path).then((s) => s.size, () => 0);
    return new CriLogWriter(path, createWriteStream(path, { flags: 'a' }), size, rotation);
  }

  // A log file that cannot be written must not take the agent down; the container keeps running.
  static #ignoreErrors(out: WriteStream): void {
    out.on('error', () => undefined);
  }

  write(stream: StreamName, data: Uint8Array): void {
    if (this.#closed) return;
    const text = this.#partial[stream] + this.#decoders[stream].write(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    const lines = text.split('\n');
    let rest = lines.pop() ?? '';
    const ts = rfc3339Nano();
    let out = lines.map((l) => `${ts} ${stream} F ${l.endsWith('\r') ? l.slice(0, -1) : l}\n`).join('');
    while (rest.length > MAX_LINE) {
      out += `${ts} ${stream} P ${rest.slice(0, MAX_LINE)}\n`;
      rest = rest.slice(MAX_LINE);
    }
    this.#partial[stream] = rest;
    if (out) this.#emit(out);
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
    this.#closed = true;
    // A rotation may start another one (its held output filling the new file): wait for the last.
    for (let current = this.#rotating; ; current = this.#rotating) {
      await current;
      if (current === this.#rotating) break;
    }
    await new Promise<void>((resolve) => this.#out.end(resolve));
  }

  #emit(text: string): void {
    const bytes = Buffer.byteLength(text);
    if (this.#held) {
      // Bounded: a container that writes more than a whole file (at least 1 MiB) while one rotation
      // runs loses the excess, and is told so in the log.
      if (this.#heldBytes + bytes > Math.max(this.#rotation?.maxBytes ?? 0, MAX_HELD_BYTES)) this.#dropped += bytes;
      else {
        this.#held.push(text);
        this.#heldBytes += bytes;
      }
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
    this.#out = createWriteStream(this.#path, { flags: 'a' });
    CriLogWriter.#ignoreErrors(this.#out);
    this.#size = 0;
    const held = this.#held ?? [];
    const dropped = this.#dropped;
    this.#held = undefined;
    this.#heldBytes = 0;
    this.#dropped = 0;
    if (dropped > 0) held.push(`${rfc3339Nano()} stderr F [${dropped} bytes of output dropped while the log was rotated]\n`);
    // Before anything written from now on (and held again if it starts the next rotation).
    for (const text of held) this.#emit(text);
    // Logs are not state: a rotation is not fsynced (a power cut at worst leaves the file unrotated).
    await this.#prune(rotation).catch(() => undefined);
  }

  /**
   * `0.log.<stamp>`, or `0.log.<stamp>-NNN` after the rotations that already took that second (one
   * past the highest number in use, so names keep sorting by age after the oldest were deleted).
   */
  async #rotatedName(): Promise<string> {
    const base = `${basename(this.#path)}.${rotationStamp()}`;
    const taken = (await readdir(dirname(this.#path)).catch(() => [] as string[])).filter((n) => n === base || n.startsWith(`${base}-`));
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
