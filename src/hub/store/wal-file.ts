/**
 * The SQLite store's write-ahead log as a file the store syncs itself (sqlite-store.ts commits with
 * `synchronous=NORMAL`, which writes the log without an fsync).
 */
import { closeSync, fdatasync, fsyncSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

/** `fdatasync` on libuv's thread pool. */
const fdatasyncAsync = (fd: number) =>
  new Promise<void>((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));

/** The `-wal` file of an open database: opened once, its name made durable, its data synced off the event loop. */
export class WalFile {
  #fd: number | undefined;
  readonly #syncData: (fd: number) => Promise<void>;

  /**
   * Opens the log of the database at `dbPath`. It exists once a connection has read the database, and
   * stays the same file while one is open: SQLite removes it only when its last connection closes.
   */
  constructor(dbPath: string, syncData: (fd: number) => Promise<void> = fdatasyncAsync) {
    this.#syncData = syncData;
    this.#fd = openSync(`${dbPath}-wal`, 'r');
    // The log's name must survive a power cut too: SQLite syncs its directory when it first syncs a new
    // log, which with NORMAL would wait for the first checkpoint. Once here, before any acknowledgement.
    const dir = openSync(dirname(dbPath), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }

  /**
   * Syncs the log's data. Frames are only ever appended until a checkpoint has put them in the database
   * file and synced it, so this covers every commit made before the call.
   */
  sync(): Promise<void> {
    if (this.#fd === undefined) return Promise.reject(new Error('the store is closed'));
    return this.#syncData(this.#fd);
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}
