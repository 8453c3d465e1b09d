/**
 * The commit worker's entry (started by `CommitThread`): the store's writing connection, applying each
 * batch it is sent in one transaction (sqlite-writer.ts) and answering with the batch's results. It
 * imports only the SQLite bindings and the writer, to start fast and stay small.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { betterSqlite3Driver } from './better-sqlite3-driver.js';
import type { CommitReply, CommitRequest, CommitThreadData } from './commit-thread.js';
import { nodeSqliteDriver } from './node-sqlite-driver.js';
import { configureConnection } from './sqlite-connection.js';
import type { SqliteConnection } from './sqlite-driver.js';
import { SqliteWriter } from './sqlite-writer.js';

const data = workerData as CommitThreadData;
const post = (reply: CommitReply) => parentPort?.postMessage(reply);
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

let db: SqliteConnection | undefined;
let writer: SqliteWriter | undefined;
try {
  const driver = data.driver === 'node:sqlite' ? nodeSqliteDriver() : betterSqlite3Driver;
  if (!driver) throw new Error('node:sqlite is not available in the commit worker');
  db = driver.open(data.path);
  configureConnection(db);
  writer = new SqliteWriter(db, data.historyLimit);
  post({ type: 'ready' });
} catch (err) {
  db?.close();
  post({ type: 'failed', message: message(err) });
  parentPort?.close();
}

parentPort?.on('message', (m: CommitRequest) => {
  if (m === 'close') {
    db?.close();
    parentPort?.close();
    return;
  }
  if (!writer) return;
  try {
    post({ type: 'committed', id: m.id, result: writer.apply(m.ops) });
  } catch (err) {
    post({ type: 'aborted', id: m.id, message: message(err) });
  }
});
