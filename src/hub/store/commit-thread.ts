/**
 * The SQLite store's commits on a worker thread that owns the writing connection (commit-worker.ts).
 * At 1,000 nodes and 100,000 pods the group commit was 22% of the hub's main thread: the statements of
 * every write, BEGIN and COMMIT. Here the main thread serialises each value to JSON and hands the
 * batch over; the worker runs the transaction, and the store learns the results (revisions, replaced
 * values) from its answer. Batches are answered in the order they were sent (one worker, one queue).
 *
 * The main thread keeps its own connection for reads: in WAL mode a reader sees the last commit
 * without waiting on the writer. The store reads only when no batch is committing or unsynced
 * (group-commit.ts), so a read never sees a write before it is durable.
 */
import type { Worker } from 'node:worker_threads';
import { errorMessage } from '../../api/index.js';
import { spawnWorker } from '../../platform/index.js';
import type { SqliteDriver } from './sqlite-driver.js';
import type { BatchResult, WriteOp } from './sqlite-writer.js';

/** What the worker is started with: plain data. */
export interface CommitThreadData {
  path: string;
  driver: SqliteDriver['name'];
  historyLimit: number;
}

/** A batch to commit (`id` numbers them in order), or the end. */
export type CommitRequest = { id: number; ops: WriteOp[] } | 'close';

/** The worker's messages: opened, could not open, a batch's results, a batch rolled back. */
export type CommitReply =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'committed'; id: number; result: BatchResult }
  | { type: 'aborted'; id: number; message: string };

interface Waiting {
  resolve: (r: BatchResult) => void;
  reject: (err: Error) => void;
}

/** The commit worker, seen from the store; see the module comment. */
export class CommitThread {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, Waiting>();
  readonly #exited: Promise<void>;
  #nextId = 0;
  /** Set once the worker can take no more batches (it ended, or is closing). */
  #ended: Error | undefined;
  #closing = false;
  #onFailure: (err: Error) => void = () => {};
  #settleReady!: { resolve: () => void; reject: (err: Error) => void };
  /**
   * Resolves once the worker has opened the database; rejects, naming why, if it could not (the
   * thread has then ended, and `onFailure` is called too). Batches sent before are queued meanwhile.
   */
  readonly ready: Promise<void>;

  private constructor(worker: Worker) {
    this.#worker = worker;
    this.ready = new Promise<void>((resolve, reject) => (this.#settleReady = { resolve, reject }));
    // Whoever needs the failure hears it through onFailure and the batches; this one is for tests.
    this.ready.catch(() => undefined);
    this.#exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (m: CommitReply) => this.#reply(m));
    worker.once('error', (err) => this.#end(new Error(`the store's commit worker failed: ${errorMessage(err)}`)));
    worker.once('exit', (code) => this.#end(new Error(`the store's commit worker ended (code ${code})`)));
  }

  /**
   * Starts the worker on the database at `data.path`, without waiting for it: a hub does not wait on
   * the worker's start (~10 ms; ~140 ms from the TypeScript sources), and batches sent meanwhile are
   * queued. The counters are the caller's to read: the worker finds the same ones in the file.
   */
  static start(data: CommitThreadData): CommitThread {
    const thread = new CommitThread(spawnWorker(new URL('./commit-worker.js', import.meta.url), { workerData: data }));
    // Held open only while a batch is committing: an idle store must not keep the process alive.
    thread.#worker.unref();
    return thread;
  }

  /** Called once if the worker ends while the store still needs it. */
  onFailure(fn: (err: Error) => void): void {
    this.#onFailure = fn;
  }

  /** Commits `ops` in one transaction on the worker; resolves with the results, rejects if it rolled back. */
  commit(ops: WriteOp[]): Promise<BatchResult> {
    if (this.#ended) return Promise.reject(this.#ended);
    const id = this.#nextId++;
    return new Promise<BatchResult>((resolve, reject) => {
      if (this.#waiting.size === 0) this.#worker.ref();
      this.#waiting.set(id, { resolve, reject });
      this.#worker.postMessage({ id, ops } satisfies CommitRequest);
    });
  }

  /** Ends the worker once the batches sent are answered, closing its connection. */
  async close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      // Held open until its connection has closed: the store closes the main one after it.
      this.#worker.ref();
      this.#worker.postMessage('close' satisfies CommitRequest);
    }
    await this.#exited;
  }

  #reply(m: CommitReply): void {
    if (m.type === 'ready') return this.#settleReady.resolve();
    if (m.type === 'failed')
      return this.#end(new Error(`the store's commit worker could not open the database: ${m.message}`));
    const w = this.#waiting.get(m.id);
    if (!w) return;
    this.#waiting.delete(m.id);
    if (this.#waiting.size === 0 && !this.#closing) this.#worker.unref();
    if (m.type === 'committed') w.resolve(m.result);
    else w.reject(new Error(m.message));
  }

  #end(err: Error): void {
    // A no-op once it was ready.
    this.#settleReady.reject(err);
    if (this.#ended) return;
    this.#ended = this.#closing ? new Error('the store is closed') : err;
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const w of waiting) w.reject(this.#ended);
    if (!this.#closing) this.#onFailure(err);
  }
}
