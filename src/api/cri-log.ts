/**
 * The CRI container log writer both runtimes use: a container's stdout/stderr appended to its log file
 * in the format the agent and `edgectl logs` read: `<RFC3339Nano> <stdout|stderr> <F|P> <line>`.
 * Output is split into lines per stream; an unfinished line waits for its newline (or is written as
 * `P` when the stream closes, or when it grows past 16 KiB, as the kubelet splits long lines).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';

type StreamName = 'stdout' | 'stderr';
const MAX_LINE = 16 * 1024;

/** `2024-05-01T12:00:00.123456789Z`. */
function rfc3339Nano(nowMs: number = performance.timeOrigin + performance.now()): string {
  const whole = Math.floor(nowMs);
  return `${new Date(whole).toISOString().slice(0, 23)}${String(Math.floor((nowMs - whole) * 1e6)).padStart(6, '0')}Z`;
}

/** One container instance's log file. */
export class CriLogWriter {
  readonly #out: WriteStream;
  readonly #partial: Record<StreamName, string> = { stdout: '', stderr: '' };
  readonly #decoders: Record<StreamName, StringDecoder> = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  #closed = false;

  private constructor(out: WriteStream) {
    this.#out = out;
    // A log file that cannot be written must not take the agent down; the container keeps running.
    out.on('error', () => undefined);
  }

  /** Opens `path` for appending, creating its directory. */
  static async open(path: string): Promise<CriLogWriter> {
    await mkdir(dirname(path), { recursive: true });
    return new CriLogWriter(createWriteStream(path, { flags: 'a' }));
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
    if (out) this.#out.write(out);
  }

  /** A line of the runtime's own (why the container could not start, …), logged as stderr. */
  note(line: string): void {
    if (!this.#closed) this.#out.write(`${rfc3339Nano()} stderr F ${line}\n`);
  }

  /** Flushes unfinished lines (as `P`) and closes the file. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.#partial[stream] + this.#decoders[stream].end();
      if (rest) this.#out.write(`${rfc3339Nano()} ${stream} P ${rest}\n`);
    }
    this.#closed = true;
    await new Promise<void>((resolve) => this.#out.end(resolve));
  }
}
