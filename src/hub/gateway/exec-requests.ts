/** Exec requests in flight to nodes: answered by `execResult`, failed when the node goes away. */
import { ServiceUnavailableError, TimeoutError } from '../../api/index.js';
import type { PodExecResult } from '../server/index.js';

interface Pending {
  node: string;
  resolve(r: PodExecResult): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

export class ExecRequests {
  private readonly pending = new Map<string, Pending>();

  /** Waits for the answer to `id` from `node`, at most `timeoutMs`. */
  wait(id: string, node: string, timeoutMs: number): Promise<PodExecResult> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new TimeoutError(`node ${node} did not answer the exec request within ${Math.round(timeoutMs / 1000)} s`),
        );
      }, timeoutMs);
      timer.unref();
      this.pending.set(id, { node, resolve, reject, timer });
    });
  }

  /** Requests in flight to `node`. */
  countFor(node: string): number {
    let n = 0;
    for (const p of this.pending.values()) if (p.node === node) n++;
    return n;
  }

  /** Delivers a node's answer. */
  answer(id: string, node: string, r: { exitCode?: number; stdout?: string; stderr?: string; error?: string }): void {
    const p = this.pending.get(id);
    if (!p || p.node !== node) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (r.error !== undefined) p.reject(new ServiceUnavailableError(r.error));
    // Not a success: an answer that says neither how the command ended nor why it could not run is a
    // broken node's, and exit code 0 would report a command that may never have run as having passed.
    else if (r.exitCode === undefined)
      p.reject(
        new ServiceUnavailableError(`node ${node} answered the exec request with neither an exit code nor an error`),
      );
    else p.resolve({ exitCode: r.exitCode, stdout: r.stdout ?? '', stderr: r.stderr ?? '' });
  }

  /** Fails every request to `node` (its session closed). */
  failNode(node: string): void {
    for (const [id, p] of this.pending) {
      if (p.node !== node) continue;
      this.pending.delete(id);
      clearTimeout(p.timer);
      p.reject(new ServiceUnavailableError(`node ${node} disconnected before answering the exec request`));
    }
  }
}
