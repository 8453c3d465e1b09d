/**
 * Answers the hub's `logRequest`s from the container log files (`<dataDir>/logs/<ns>_<pod>_<uid>/
 * <container>/<restartCount>.log`) with `logChunk` frames: tail, previous instance, timestamps, and
 * follow (polling for appended data, moving on to the next file when the container restarts, until
 * `logCancel`, the pod going away, or the session dropping).
 */
import { open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../../api/index.js';
import type { HubToNode, Logger, NodeToHub } from '../../api/index.js';
import { podLogDir, safe } from '../pods/container-config.js';
import { criToText, splitLines, tailText } from './cri.js';

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
}

const MAX_CHUNK = 256 * 1024;

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
    if (container === undefined) return void fail(`a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`);
    if (!names.includes(container)) return void fail(`container ${container} is not valid for pod ${name}`);

    const dir = path.join(podLogDir(this.deps.dataDir, { namespace, name, uid: pod.uid }), safe(container));
    const files = await logFiles(dir);
    const current = files[files.length - 1];
    const file = req.previous ? files[files.length - 2] : current;
    if (file === undefined) {
      return void fail(req.previous
        ? `previous terminated container "${container}" in pod "${name}" not found`
        : `container "${container}" in pod "${name}" is waiting to start`);
    }
    const timestamps = req.timestamps ?? false;
    const first = await readFrom(path.join(dir, `${file}.log`), 0);
    const { lines, rest } = splitLines(first.text);
    if (!this.sendText(id, tailText(criToText(lines, timestamps), req.tailLines))) return;
    if (!req.follow || req.previous) {
      this.deps.send({ type: 'logChunk', requestId: id, data: '', done: true });
      return;
    }
    const follow: Follow = { uid: pod.uid, cancelled: false };
    this.follows.set(id, follow);
    try {
      await this.follow(id, dir, file, first.bytes, rest, timestamps, follow);
    } finally {
      this.follows.delete(id);
    }
    this.deps.send({ type: 'logChunk', requestId: id, data: '', done: true });
  }

  // Polls the current file for appended data; when a newer file (a restart) appears, the rest of the
  // current one is read first, then the newer one from its start.
  private async follow(id: string, dir: string, startFile: number, startOffset: number, startRest: string, timestamps: boolean, f: Follow): Promise<void> {
    let file = startFile;
    let offset = startOffset;
    let rest = startRest;
    while (!f.cancelled) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.deps.pollMs ?? 250);
        f.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      const files = await logFiles(dir);
      const next = files.find((n) => n > file);
      const read = await readFrom(path.join(dir, `${file}.log`), offset);
      offset += read.bytes;
      const { lines, rest: r } = splitLines(rest + read.text);
      rest = r;
      if (!this.sendText(id, criToText(lines, timestamps))) return;
      if (next !== undefined && read.bytes === 0) {
        if (rest !== '' && !this.sendText(id, criToText([rest], timestamps))) return;
        file = next;
        offset = 0;
        rest = '';
      }
    }
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
  return names.map((n) => /^([0-9]+)\.log$/.exec(n)?.[1]).filter((n): n is string => n !== undefined).map(Number).sort((a, b) => a - b);
}

/** Reads `file` from `offset` to its current end, stopping at the last newline so no UTF-8 sequence is cut. */
async function readFrom(file: string, offset: number): Promise<{ text: string; bytes: number }> {
  const fh = await open(file, 'r').catch(() => undefined);
  if (!fh) return { text: '', bytes: 0 };
  try {
    const { size } = await fh.stat();
    if (size <= offset) return { text: '', bytes: 0 };
    const buf = Buffer.alloc(size - offset);
    const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
    const lastNl = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
    const used = lastNl < 0 ? 0 : lastNl + 1;
    return { text: buf.subarray(0, used).toString('utf8'), bytes: used };
  } finally {
    await fh.close();
  }
}
