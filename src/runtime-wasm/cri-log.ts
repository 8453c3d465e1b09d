/**
 * Appends a container's stdout/stderr to its log file in the CRI format the agent and `edgectl logs`
 * read: `<RFC3339Nano timestamp> <stdout|stderr> <F|P> <line>`. Output is split into lines per
 * stream; an unfinished line is kept until its newline arrives (or written as `P` on close).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TextDecoder } from 'node:util';

type StreamName = 'stdout' | 'stderr';

/** `2024-05-01T12:00:00.123456789Z`: wall-clock time with nanosecond digits. */
export function rfc3339Nano(nowMs: number = performance.timeOrigin + performance.now()): string {
  const wholeMs = Math.floor(nowMs);
  const iso = new Date(wholeMs).toISOString(); // ...T12:00:00.123Z
  const subMsNs = Math.floor((nowMs - wholeMs) * 1e6);
  return `${iso.slice(0, 23)}${String(subMsNs).padStart(6, '0')}Z`;
}

export class CriLogWriter {
  readonly #out: WriteStream;
  readonly #partial: Record<StreamName, string> = { stdout: '', stderr: '' };
  readonly #decoders: Record<StreamName, TextDecoder> = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  #closed = false;

  private constructor(out: WriteStream) {
    this.#out = out;
    // A log file that cannot be written must not take the agent down; the guest keeps running.
    out.on('error', () => undefined);
  }

  /** Opens (appending) `path`, creating its parent directories. */
  static async open(path: string): Promise<CriLogWriter> {
    await mkdir(dirname(path), { recursive: true });
    return new CriLogWriter(createWriteStream(path, { flags: 'a' }));
  }

  write(stream: StreamName, data: Uint8Array): void {
    if (this.#closed) return;
    const text = this.#partial[stream] + this.#decoders[stream].decode(data, { stream: true });
    const lines = text.split('\n');
    this.#partial[stream] = lines.pop() ?? '';
    if (lines.length === 0) return;
    const ts = rfc3339Nano();
    this.#out.write(lines.map((l) => `${ts} ${stream} F ${l.endsWith('\r') ? l.slice(0, -1) : l}\n`).join(''));
  }

  /** Writes a line of the runtime's own (e.g. why the instance ended) to the log, as stderr. */
  note(line: string): void {
    if (!this.#closed) this.#out.write(`${rfc3339Nano()} stderr F ${line}\n`);
  }

  /** Flushes unfinished lines (as partial `P` lines) and closes the file. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.#partial[stream] + this.#decoders[stream].decode();
      if (rest) this.#out.write(`${rfc3339Nano()} ${stream} P ${rest}\n`);
    }
    this.#closed = true;
    await new Promise<void>((resolve) => this.#out.end(resolve));
  }
}
