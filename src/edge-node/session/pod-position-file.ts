/**
 * The pod-set position kept in the agent's data dir (`pod-position.json`), so a restarted agent can
 * offer it in its first `hello` and get a `podResume` instead of the whole set (`pod-position.ts`
 * says which of its stamps still count). Written like the rest of local state (`writeFileDurable`:
 * flushed, renamed, directory flushed), coalesced: changes within `delayMs` make one write, and a
 * crash in between leaves an older file, which `PodPosition.restore` checks pod by pod anyway.
 *
 * The file is bounded (a position of `MAX_SYNC_PODS` pods, as `hello.pods` is); one that is too big,
 * torn, invalid or another node's (a copied data dir) is ignored with a warning naming it, and the
 * hub then sends the whole set, as it does to an agent with no file.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import {
  MAX_POD_POSITION_CHARS,
  PodPosition as PositionText,
  decodePodPosition,
  encodePodPosition,
  errorMessage,
} from '../../api/index.js';
import type { Logger } from '../../api/index.js';
import { writeFileDurable } from '../../durable/index.js';
import type { SavedPosition } from './pod-position.js';

/** The file's name in the data dir. */
export const POD_POSITION_FILE = 'pod-position.json';

/** Bytes the file may hold: the longest position and its few other fields. */
export const MAX_POD_POSITION_FILE_BYTES = MAX_POD_POSITION_CHARS + 4096;

/** The file's shape (version 1). */
const PositionFile = z.strictObject({
  kind: z.literal('PodPosition'),
  version: z.literal(1),
  /** The node it was written for: another node's file is not this node's position. */
  node: z.string().min(1),
  /** The protocol of the last hub that welcomed the node (the position goes only to protocol ≥ 9). */
  hubProtocol: z.number().int().min(0),
  /** `uid:hash` pairs, as in `hello.pods`. */
  pods: PositionText,
});

/** Dependencies of the position file. */
export interface PodPositionFileDeps {
  dataDir: string;
  nodeName: string;
  logger: Logger;
  /** Changes within this time make one write (default 1 s: a rollout does not rewrite it per pod). */
  delayMs?: number;
}

/** The pod-set position on disk. */
export class PodPositionFile {
  /** The file's path. */
  readonly file: string;
  readonly #deps: PodPositionFileDeps;
  #pending: (() => SavedPosition) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(deps: PodPositionFileDeps) {
    this.#deps = deps;
    this.file = path.join(deps.dataDir, POD_POSITION_FILE);
  }

  /** The kept position, or undefined (none, or one that is not this node's valid position: warned). */
  async load(): Promise<SavedPosition | undefined> {
    const ignore = (why: string, err?: unknown): undefined => {
      const fields = { file: this.file, ...(err !== undefined ? { err: errorMessage(err) } : {}) };
      this.#deps.logger.warn(fields, `pod position file ${why}; ignored (the hub sends the whole pod set)`);
      return undefined;
    };
    let text: string;
    try {
      const size = (await stat(this.file)).size;
      if (size > MAX_POD_POSITION_FILE_BYTES)
        return ignore(`holds ${size} bytes, more than ${MAX_POD_POSITION_FILE_BYTES}`);
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return ignore('is unreadable', err);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      return ignore('is torn (not JSON)', err);
    }
    const parsed = PositionFile.safeParse(json);
    if (!parsed.success) return ignore('is not a pod position', parsed.error.message);
    if (parsed.data.node !== this.#deps.nodeName)
      return ignore(`belongs to node "${parsed.data.node.slice(0, 253)}", not "${this.#deps.nodeName}"`);
    try {
      return { hubProtocol: parsed.data.hubProtocol, hashes: decodePodPosition(parsed.data.pods) };
    } catch (err) {
      return ignore('does not read', err);
    }
  }

  /** Writes the position `current()` gives at write time (soon, coalesced with other changes). */
  save(current: () => SavedPosition): void {
    this.#pending = current;
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#write();
    }, this.#deps.delayMs ?? 1000);
    this.#timer.unref();
  }

  /** Writes a pending change now and resolves when every write has landed (the agent stops). */
  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#write();
  }

  #write(): Promise<void> {
    const current = this.#pending;
    this.#pending = undefined;
    if (!current) return this.#writing;
    this.#writing = this.#writing
      .then(() => {
        const p = current();
        const body: z.infer<typeof PositionFile> = {
          kind: 'PodPosition',
          version: 1,
          node: this.#deps.nodeName,
          hubProtocol: p.hubProtocol,
          pods: encodePodPosition(p.hashes),
        };
        return writeFileDurable(this.file, JSON.stringify(body), { mode: 0o600 });
      })
      .catch((err: unknown) =>
        this.#deps.logger.warn({ file: this.file, err: errorMessage(err) }, 'pod position file write failed'),
      );
    return this.#writing;
  }
}
