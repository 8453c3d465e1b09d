/**
 * The checkpoint worker's entry (started by `Checkpointer`): its own connection to the store's
 * database, and one passive checkpoint per `checkpoint` message. Passive: it copies what the log holds
 * into the database file without taking the write lock, so the hub's writes go on meanwhile. It imports
 * only the SQLite bindings, to start fast and stay small.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { betterSqlite3Driver } from './better-sqlite3-driver.js';
import type { CheckpointReply, CheckpointerData } from './checkpointer.js';
import { nodeSqliteDriver } from './node-sqlite-driver.js';

const data = workerData as CheckpointerData;
const driver = data.driver === 'node:sqlite' ? nodeSqliteDriver() : betterSqlite3Driver;
if (!driver) throw new Error('node:sqlite is not available in the checkpoint worker');
const db = driver.open(data.path);
// This connection never writes; its own automatic checkpoints are off, and it never waits on a lock.
db.exec('PRAGMA wal_autocheckpoint = 0');
const checkpoint = db.prepare<[], { busy: number; log: number; checkpointed: number }>(
  'PRAGMA wal_checkpoint(PASSIVE)',
);

parentPort?.on('message', (m: 'checkpoint' | 'close') => {
  if (m === 'close') {
    db.close();
    parentPort?.close();
    return;
  }
  const started = performance.now();
  let reply: CheckpointReply;
  try {
    const row = checkpoint.get();
    reply = { ok: true, log: row?.log ?? 0, copied: row?.checkpointed ?? 0, ms: performance.now() - started };
  } catch (err) {
    reply = { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
  parentPort?.postMessage(reply);
});
