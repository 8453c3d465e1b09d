/**
 * The output an exec instance writes, kept in its executor worker until the run ends: the first
 * EXEC_OUTPUT_CAP_BYTES of each stream, the rest counted and dropped. Without the cap a guest that
 * floods stdout grows the executor's memory without bound (runc and the Engine API cap exec output
 * at 1 MiB too, and the wire schema's execResult holds no more).
 */

/** Bytes of each of stdout and stderr an exec keeps. */
export const EXEC_OUTPUT_CAP_BYTES = 1024 * 1024;

type Stream = 'stdout' | 'stderr';

/** What a run hands back: the kept bytes, and per stream how many were dropped (absent: none). */
export interface TakenOutput {
  stdout: Uint8Array;
  stderr: Uint8Array;
  dropped?: { stdout: number; stderr: number };
}

/** Captured stdout and stderr of one instance, capped per stream. */
export class CapturedOutput {
  readonly #chunks: Record<Stream, Uint8Array[]> = { stdout: [], stderr: [] };
  readonly #kept: Record<Stream, number> = { stdout: 0, stderr: 0 };
  readonly #dropped: Record<Stream, number> = { stdout: 0, stderr: 0 };

  constructor(readonly capBytes = EXEC_OUTPUT_CAP_BYTES) {}

  /** Keeps what still fits of `data` (copied: the guest's buffer may be reused) and counts the rest. */
  add(stream: Stream, data: Uint8Array): void {
    const room = this.capBytes - this.#kept[stream];
    const keep = Math.max(0, Math.min(room, data.byteLength));
    if (keep > 0) {
      this.#chunks[stream].push(data.slice(0, keep));
      this.#kept[stream] += keep;
    }
    this.#dropped[stream] += data.byteLength - keep;
  }

  /** The kept output, concatenated, with the dropped counts when anything was dropped. */
  take(): TakenOutput {
    const out: TakenOutput = { stdout: Buffer.concat(this.#chunks.stdout), stderr: Buffer.concat(this.#chunks.stderr) };
    if (this.#dropped.stdout > 0 || this.#dropped.stderr > 0) out.dropped = { ...this.#dropped };
    return out;
  }
}
