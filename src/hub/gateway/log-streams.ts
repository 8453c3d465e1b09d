/**
 * Pending `logRequest`s: chunks arriving from a node are queued per request id and read by the HTTP
 * handler as an async iterable.
 */
import { ServiceUnavailableError } from '../../api/index.js';

interface Pending {
  node: string;
  chunks: string[];
  done: boolean;
  error: string | undefined;
  wake: (() => void) | undefined;
}

export class LogStreams {
  private readonly pending = new Map<string, Pending>();

  open(id: string, node: string): void {
    this.pending.set(id, { node, chunks: [], done: false, error: undefined, wake: undefined });
  }

  push(id: string, data: string, done: boolean, error?: string): void {
    const p = this.pending.get(id);
    if (!p) return;
    if (data) p.chunks.push(data);
    if (done || error !== undefined) p.done = true;
    if (error !== undefined) p.error = error;
    p.wake?.();
  }

  /** Ends every stream served by `node` (its session closed). */
  failNode(node: string): void {
    for (const [id, p] of this.pending) if (p.node === node) this.push(id, '', true, `node ${node} disconnected`);
  }

  close(id: string): void {
    this.pending.delete(id);
  }

  /** Yields chunks until the node says done, the request fails, or `signal` aborts. */
  async *read(id: string, signal: AbortSignal): AsyncIterable<string> {
    const p = this.pending.get(id);
    if (!p) return;
    try {
      for (;;) {
        while (p.chunks.length > 0) yield p.chunks.shift() as string;
        if (p.error !== undefined) throw new ServiceUnavailableError(p.error);
        if (p.done || signal.aborted) return;
        await new Promise<void>((resolve) => {
          p.wake = resolve;
          signal.addEventListener('abort', () => resolve(), { once: true });
        });
        p.wake = undefined;
      }
    } finally {
      this.close(id);
    }
  }
}
