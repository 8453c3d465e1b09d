/**
 * Pending `logRequest`s: chunks arriving from a node are queued per request id and read by the HTTP
 * handler as an async iterable. A queue never holds more than `maxBufferedBytes`: a reader that does
 * not keep up has its stream ended with an error rather than the hub buffering the node's output.
 */
import { ServiceUnavailableError } from '../../api/index.js';

interface Pending {
  node: string;
  chunks: string[];
  /** UTF-16 code units queued (about bytes for log text). */
  queued: number;
  done: boolean;
  error: string | undefined;
  wake: (() => void) | undefined;
}

/** What became of a pushed chunk. */
export type PushResult = 'queued' | 'unknown' | 'overflow';

export class LogStreams {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly maxBufferedBytes = 8 * 1024 * 1024) {}

  open(id: string, node: string): void {
    this.pending.set(id, { node, chunks: [], queued: 0, done: false, error: undefined, wake: undefined });
  }

  /** Streams open to `node`. */
  countFor(node: string): number {
    let n = 0;
    for (const p of this.pending.values()) if (p.node === node) n++;
    return n;
  }

  /** Queues a chunk from `node`; chunks for another node's or an unknown request are dropped. */
  push(id: string, node: string, data: string, done: boolean, error?: string): PushResult {
    const p = this.pending.get(id);
    if (!p || p.node !== node || p.done) return 'unknown';
    if (p.queued + data.length > this.maxBufferedBytes) {
      p.done = true;
      p.error = `log stream ended: the reader fell more than ${Math.round(this.maxBufferedBytes / 1024)} KiB behind the node`;
      p.wake?.();
      return 'overflow';
    }
    if (data) {
      p.chunks.push(data);
      p.queued += data.length;
    }
    if (done || error !== undefined) p.done = true;
    if (error !== undefined) p.error = error;
    p.wake?.();
    return 'queued';
  }

  /** Ends every stream served by `node` (its session closed). */
  failNode(node: string): void {
    for (const [id, p] of this.pending) if (p.node === node) this.push(id, node, '', true, `node ${node} disconnected`);
  }

  close(id: string): void {
    this.pending.delete(id);
  }

  /** Yields chunks until the node says done, the request fails, or `signal` aborts. */
  async *read(id: string, signal: AbortSignal): AsyncIterable<string> {
    const p = this.pending.get(id);
    if (!p) return;
    // One listener for the whole stream (one per wait would pile up over a long follow).
    const onAbort = (): void => p.wake?.();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        while (p.chunks.length > 0) {
          const chunk = p.chunks.shift() as string;
          p.queued -= chunk.length;
          yield chunk;
        }
        if (p.error !== undefined) throw new ServiceUnavailableError(p.error);
        if (p.done || signal.aborted) return;
        await new Promise<void>((resolve) => {
          p.wake = resolve;
        });
        p.wake = undefined;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.close(id);
    }
  }
}
