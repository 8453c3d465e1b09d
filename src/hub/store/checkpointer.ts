/**
 * Checkpoints of the SQLite store's write-ahead log, on a worker thread. SQLite runs a checkpoint
 * inside the commit that takes the log past 1,000 pages: it copies ~4 MB into the database file and
 * fsyncs it, tens of ms on the hub's event loop every few batches during a rollout. Here a worker with
 * its own connection does that copying; the store nudges it after each ~4 MB it writes.
 *
 * The worker starts at the first nudge, so a store that writes little (tests, a quiet hub) never has
 * one; it costs ~10 MB of RSS while the store is open. Should it fail, the store's own backstop
 * checkpoint (sqlite-store.ts) still bounds the log, and nothing is lost: a checkpoint only copies.
 */
import type { Worker } from 'node:worker_threads';
import type { Logger } from '../../api/index.js';
import { errorMessage } from '../../api/index.js';
import { spawnWorker } from '../../platform/index.js';
import type { SqliteDriver } from './sqlite-driver.js';

/** What the worker is started with: plain data. */
export interface CheckpointerData {
  path: string;
  driver: SqliteDriver['name'];
}

/** What the worker answers each checkpoint with: pages in the log, pages copied, time; or the error. */
export type CheckpointReply = { ok: true; log: number; copied: number; ms: number } | { ok: false; message: string };

/** Options of {@link Checkpointer}. */
export interface CheckpointerOptions {
  /** The database file. */
  path: string;
  /** The binding the store uses; the worker opens the file with the same one. */
  driver: SqliteDriver;
  logger: Logger;
  /** Bytes written (as the store estimates them) between checkpoints (default 4 MB). */
  afterBytes?: number;
}

/** Runs the store's checkpoints on a worker thread; see the module comment. */
export class Checkpointer {
  readonly #opts: CheckpointerOptions;
  #worker: Worker | undefined;
  #running = false;
  #again = false;
  #broken = false;
  #exited: Promise<void> | undefined;
  /** Bytes written since the last nudge. */
  #written = 0;
  /** Checkpoints done (tests, logs). */
  completed = 0;

  constructor(opts: CheckpointerOptions) {
    this.#opts = opts;
  }

  /** Counts `bytes` written to the log (the store's estimate from its rows). */
  wrote(bytes: number): void {
    this.#written += bytes;
  }

  /** Nudges once `afterBytes` have been written since the last nudge. Called after a sync; never throws. */
  nudgeIfDue(): void {
    if (this.#written < (this.#opts.afterBytes ?? 4 * 1024 * 1024)) return;
    this.#written = 0;
    this.nudge();
  }

  /** Asks for a checkpoint: at once if none runs, else one more after it (nudges meanwhile coalesce). */
  nudge(): void {
    if (this.#broken) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    try {
      this.#start().postMessage('checkpoint');
    } catch (err) {
      // The worker could not start (its entry missing, say): the backstop checkpoints instead.
      this.#fail(`the checkpoint worker could not start: ${errorMessage(err)}`);
    }
  }

  /** Ends the worker (closing its connection) once its checkpoint, if one runs, is done. */
  async close(): Promise<void> {
    this.#broken = true;
    const worker = this.#worker;
    if (!worker) return;
    // Held open until it has closed its connection: the store's close() waits for that, and an unref'd
    // worker would let a shutting-down hub exit before the main connection and the data dir's lock go.
    worker.ref();
    worker.postMessage('close');
    await this.#exited;
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const data: CheckpointerData = { path: this.#opts.path, driver: this.#opts.driver.name };
    const worker = spawnWorker(new URL('./checkpoint-worker.js', import.meta.url), { workerData: data });
    // An idle checkpointer must not hold the process open.
    worker.unref();
    this.#exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (reply: CheckpointReply) => this.#done(reply));
    worker.once('error', (err) => this.#fail(`the checkpoint worker failed: ${errorMessage(err)}`));
    worker.once('exit', (code) => {
      if (!this.#broken) this.#fail(`the checkpoint worker ended (code ${code})`);
    });
    this.#worker = worker;
    return worker;
  }

  #done(reply: CheckpointReply): void {
    this.#running = false;
    if (!reply.ok) {
      // A busy or failed checkpoint loses nothing; the next nudge (or the backstop) tries again.
      this.#opts.logger.warn({ error: reply.message }, 'store checkpoint failed');
    } else {
      this.completed += 1;
      this.#opts.logger.debug(reply, 'store checkpoint');
    }
    if (this.#again) {
      this.#again = false;
      this.nudge();
    }
  }

  #fail(message: string): void {
    if (this.#broken) return;
    this.#broken = true;
    this.#running = false;
    this.#opts.logger.warn({ error: message }, "store checkpoints fall back to the store's own backstop");
  }
}
