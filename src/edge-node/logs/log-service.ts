/**
 * Answers the hub's `logRequest`s from the container log files (`<dataDir>/logs/<ns>_<pod>_<uid>/
 * <container>/<restartCount>.log`) with `logChunk` frames: tail (read backwards from the end of the
 * file), previous instance, timestamps, and follow (polling for appended data, across a rotation of
 * the live file and on to the next file when the container restarts, until `logCancel`, the pod
 * going away, or the session dropping). As the kubelet's, a request reads the live file only, never
 * its rotated predecessors; every read is bounded (`log-reader.ts`).
 */
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../../api/index.js';
import type { HubToNode, Logger, NodeToHub } from '../../api/index.js';
import { podLogDir, safe } from '../pods/container-config.js';
import { criToText } from './cri.js';
import { readLines, tailStart, type ReadCounter } from './log-reader.js';

type LogRequest = Extract<HubToNode, { type: 'logRequest' }>;
type LogChunk = Extract<NodeToHub, { type: 'logChunk' }>;

/** What the log service needs to know about the node's pods. */
export interface PodLogSource {
  find(namespace: string, name: string): { uid: string; containerNames(): string[] } | undefined;
  onPodRemoved(listener: (uid: string) => void): () => void;
}

/** Dependencies of the log service. */
export interface LogServiceDeps {
  dataDir: string;
  pods: PodLogSource;
  logger: Logger;
  /** Sends a chunk; false when the session is gone (a follow then ends). */
  send(chunk: LogChunk): boolean;
  /** Poll interval of `follow` (default 250 ms). */
  pollMs?: number;
  /** Counts the bytes read from log files (tests). */
  readCounter?: ReadCounter;
}

const MAX_CHUNK = 256 * 1024;

/** An open log file and how far it has been sent. */
interface Cursor {
  fh: FileHandle | undefined;
  ino: number;
  offset: number;
}

interface Follow {
  uid: string;
  cancelled: boolean;
  wake?: () => void;
}

/** Serves container logs to the hub. */
export class LogService {
  private readonly deps: LogServiceDeps;
  private readonly follows = new Map<string, Follow>();
  private readonly unsubscribe: () => void;

  constructor(deps: LogServiceDeps) {
    this.deps = deps;
    this.unsubscribe = deps.pods.onPodRemoved((uid) => {
      for (const f of this.follows.values()) if (f.uid === uid) this.end(f);
    });
  }

  /** Starts answering one request (returns at once). */
  handle(req: LogRequest): void {
    this.serve(req).catch((err: unknown) => {
      this.deps.logger.warn({ err: errorMessage(err), requestId: req.requestId }, 'log request failed');
      this.deps.send({ type: 'logChunk', requestId: req.requestId, data: '', done: true, error: errorMessage(err) });
    });
  }

  /** Ends a follow. */
  cancel(requestId: string): void {
    const f = this.follows.get(requestId);
    if (f) this.end(f);
  }

  /** Ends every follow (the session dropped, or the agent stops). */
  cancelAll(): void {
    for (const f of this.follows.values()) this.end(f);
  }

  stop(): void {
    this.cancelAll();
    this.unsubscribe();
  }

  private end(f: Follow): void {
    f.cancelled = true;
    f.wake?.();
  }

  private async serve(req: LogRequest): Promise<void> {
    const { namespace, name } = req.pod;
    const id = req.requestId;
    const fail = (error: string) => this.deps.send({ type: 'logChunk', requestId: id, data: '', done: true, error });
    const pod = this.deps.pods.find(namespace, name);
    if (!pod) return void fail(`pod "${name}" not found in namespace "${namespace}" on this node`);
    const names = pod.containerNames();
    const container = req.container ?? (names.length === 1 ? names[0] : undefined);
    if (container === undefined)
      return void fail(`a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`);
    if (!names.includes(container)) return void fail(`container ${container} is not valid for pod ${name}`);

    const dir = path.join(podLogDir(this.deps.dataDir, { namespace, name, uid: pod.uid }), safe(container));
    const files = await logFiles(dir);
    const current = files[files.length - 1];
    const file = req.previous ? files[files.length - 2] : current;
    if (file === undefined) {
      return void fail(
        req.previous
          ? `previous terminated container "${container}" in pod "${name}" not found`
          : `container "${container}" in pod "${name}" is waiting to start`,
      );
    }
    const timestamps = req.timestamps ?? false;
    const live = path.join(dir, `${file}.log`);
    const fh = await open(live, 'r').catch(() => undefined);
    if (!fh) return void fail(`log of container "${container}" in pod "${name}" cannot be read`);
    const cursor: Cursor = { fh, ino: 0, offset: 0 };
    try {
      const { size, ino } = await fh.stat();
      cursor.ino = ino;
      // --tail reads backwards from the end; the rest of the file is never read.
      cursor.offset =
        req.tailLines !== undefined && req.tailLines >= 0
          ? await tailStart(fh, size, req.tailLines, this.deps.readCounter)
          : 0;
      if (!(await this.drain(id, cursor, size, timestamps))) return;
      if (!req.follow || req.previous) {
        this.deps.send({ type: 'logChunk', requestId: id, data: '', done: true });
        return;
      }
      const follow: Follow = { uid: pod.uid, cancelled: false };
      this.follows.set(id, follow);
      try {
        await this.follow(id, dir, file, cursor, timestamps, follow);
      } finally {
        this.follows.delete(id);
      }
    } finally {
      await cursor.fh?.close().catch(() => undefined);
    }
    this.deps.send({ type: 'logChunk', requestId: id, data: '', done: true });
  }

  /** Sends the complete lines of `cursor`'s file from its offset up to `end`, in bounded reads; false when the session is gone. */
  private async drain(id: string, cursor: Cursor, end: number, timestamps: boolean): Promise<boolean> {
    while (cursor.fh && cursor.offset < end) {
      const read = await readLines(cursor.fh, cursor.offset, end, this.deps.readCounter);
      if (read.bytes === 0) break; // an unfinished last line: it is sent once its newline is written
      cursor.offset += read.bytes;
      const lines = read.text.split('\n');
      if (lines[lines.length - 1] === '') lines.pop(); // (a line longer than one read is sent in pieces)
      if (!this.sendText(id, criToText(lines, timestamps))) return false;
    }
    return true;
  }

  // Polls the open file for appended data. When the live file is rotated (renamed; the writer
  // flushes it first), the old file is read to its end and the new live file from its start; when a
  // newer instance's file (a restart) appears, the rest of the current one is read first, then the
  // newer one from its start. As the kubelet does, the file stays open across a rotation.
  private async follow(
    id: string,
    dir: string,
    startFile: number,
    cursor: Cursor,
    timestamps: boolean,
    f: Follow,
  ): Promise<void> {
    let file = startFile;
    while (!f.cancelled) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.deps.pollMs ?? 250);
        f.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      const live = path.join(dir, `${file}.log`);
      // Checked before reading: once renamed, the old file is complete, so reading it to its end misses nothing.
      const now = await stat(live).catch(() => undefined);
      const rotated = cursor.fh !== undefined && now?.ino !== cursor.ino;
      const before = cursor.offset;
      if (cursor.fh && !(await this.drain(id, cursor, (await cursor.fh.stat()).size, timestamps))) return;
      if (rotated || !cursor.fh) {
        await cursor.fh?.close().catch(() => undefined);
        cursor.fh = undefined;
        if (now) await this.reopen(cursor, live);
        continue;
      }
      const next = (await logFiles(dir)).find((n) => n > file);
      if (next !== undefined && cursor.offset === before) {
        await cursor.fh.close().catch(() => undefined);
        cursor.fh = undefined;
        file = next;
        await this.reopen(cursor, path.join(dir, `${file}.log`));
      }
    }
  }

  /** Opens the live file at `file` from its start (left closed when it is not there yet: the next poll tries again). */
  private async reopen(cursor: Cursor, file: string): Promise<void> {
    const fh = await open(file, 'r').catch(() => undefined);
    if (!fh) return;
    cursor.fh = fh;
    cursor.ino = (await fh.stat()).ino;
    cursor.offset = 0;
  }

  private sendText(requestId: string, text: string): boolean {
    for (let i = 0; i < text.length; i += MAX_CHUNK) {
      if (!this.deps.send({ type: 'logChunk', requestId, data: text.slice(i, i + MAX_CHUNK) })) return false;
    }
    return true;
  }
}

/** Restart indexes of the `<n>.log` files in `dir`, ascending. */
async function logFiles(dir: string): Promise<number[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names
    .map((n) => /^([0-9]+)\.log$/.exec(n)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}
