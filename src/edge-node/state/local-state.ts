/**
 * The node's local state under `--data-dir`: the pods assigned to it (one file per pod), the last
 * Service set, the local listener ports of Service ports, and the mesh token, so an agent restarted with no hub reachable brings its pods and
 * NodePorts back (edge autonomy). Every write goes through `writeFileDurable` (data flushed, renamed,
 * directory flushed) and writes to one file are serialized, so a crash or a power cut leaves either the
 * old or the new content. A file found torn or invalid anyway (a disk that lied about its flush) is
 * logged and ignored, never a crash: the node starts with less and the hub's next full sync restores it.
 */
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { Pod, ServiceRoute, errorMessage } from '../../api/index.js';
import type { Logger } from '../../api/index.js';
import { fsyncDir, writeFileDurable } from '../../durable/index.js';
import { safe } from '../pods/container-config.js';

const SessionState = z.object({ meshToken: z.string().optional(), nodeName: z.string().optional() });
const LocalPorts = z.record(
  z.string(),
  z.object({ port: z.number().int().min(1).max(65535), released: z.number().int().optional() }),
);
/** The node-local listener ports given to Service ports (and the HTTP proxy), by key. */
export type LocalPorts = z.infer<typeof LocalPorts>;
/** What the node remembers of its last hub session. */
export type SessionState = z.infer<typeof SessionState>;

/** Temporaries of `writeFileDurable` (`<file>.tmp-<pid>-<hex>`) and of older versions (`<file>.<pid>.<n>.tmp`). */
const TEMP_FILE = /(\.tmp-\d+-[0-9a-f]+|\.\d+\.\d+\.tmp)$/;

/** Dependencies of the local state. */
export interface LocalStateDeps {
  dataDir: string;
  logger: Logger;
}

/** Durable node-local state. */
export class LocalState {
  private readonly podsDir: string;
  private readonly dataDir: string;
  private readonly logger: Logger;
  /** Last pending write per file: writes to one file run in order. */
  private readonly chains = new Map<string, Promise<void>>();

  private constructor(deps: LocalStateDeps) {
    this.dataDir = deps.dataDir;
    this.podsDir = path.join(deps.dataDir, 'pods');
    this.logger = deps.logger;
  }

  /**
   * Creates the directories and removes temporary files a crash left mid-write (the agent holds the
   * data dir's lock, so no other process is writing them).
   */
  static async create(deps: LocalStateDeps): Promise<LocalState> {
    const state = new LocalState(deps);
    await mkdir(state.podsDir, { recursive: true, mode: 0o700 });
    for (const dir of [state.dataDir, state.podsDir]) {
      for (const n of await readdir(dir)) if (TEMP_FILE.test(n)) await rm(path.join(dir, n), { force: true });
    }
    return state;
  }

  /** The stored pods; a torn or invalid pod file is logged and removed (the hub resyncs that pod). */
  async loadPods(): Promise<Pod[]> {
    const names = (await readdir(this.podsDir).catch(() => [] as string[])).filter((n) => n.endsWith('.json'));
    const pods: Pod[] = [];
    for (const n of names) {
      const file = path.join(this.podsDir, n);
      const pod = await this.readJson(file, Pod);
      if (pod) pods.push(pod);
      else await this.enqueue(file, () => rm(file, { force: true }));
    }
    return pods;
  }

  /** Stores (or replaces) a pod. */
  savePod(pod: Pod): Promise<void> {
    return this.write(this.podFile(pod.metadata.uid ?? ''), pod);
  }

  /** Forgets a pod. */
  deletePod(uid: string): Promise<void> {
    const file = this.podFile(uid);
    return this.enqueue(file, async () => {
      await rm(file, { force: true });
      // Flushed so that a power cut cannot bring back a pod the hub deleted.
      await fsyncDir(this.podsDir);
    });
  }

  /** The last stored Service set (empty when none). */
  async loadServices(): Promise<ServiceRoute[]> {
    return (await this.readJson(path.join(this.dataDir, 'services.json'), z.array(ServiceRoute))) ?? [];
  }

  saveServices(services: ServiceRoute[]): Promise<void> {
    return this.write(path.join(this.dataDir, 'services.json'), services);
  }

  /** The stored local listener ports (empty when none). */
  async loadLocalPorts(): Promise<LocalPorts> {
    return (await this.readJson(path.join(this.dataDir, 'local-ports.json'), LocalPorts)) ?? {};
  }

  saveLocalPorts(ports: LocalPorts): Promise<void> {
    return this.write(path.join(this.dataDir, 'local-ports.json'), ports);
  }

  async loadSession(): Promise<SessionState> {
    return (await this.readJson(path.join(this.dataDir, 'session.json'), SessionState)) ?? {};
  }

  /** Stores the session facts (holds the mesh token: owner-only permissions). */
  saveSession(session: SessionState): Promise<void> {
    return this.write(path.join(this.dataDir, 'session.json'), session);
  }

  /** Resolves when every pending write has landed. */
  async flush(): Promise<void> {
    await Promise.all([...this.chains.values()]);
  }

  private podFile(uid: string): string {
    return path.join(this.podsDir, `${safe(uid)}.json`);
  }

  private write(file: string, value: unknown): Promise<void> {
    const data = JSON.stringify(value, null, 2);
    return this.enqueue(file, () => writeFileDurable(file, data, { mode: 0o600 }));
  }

  private enqueue(file: string, op: () => Promise<void>): Promise<void> {
    const prev = this.chains.get(file) ?? Promise.resolve();
    const next = prev
      .then(op)
      .catch((err: unknown) => this.logger.error({ file, err: errorMessage(err) }, 'local state write failed'));
    this.chains.set(file, next);
    void next.finally(() => {
      if (this.chains.get(file) === next) this.chains.delete(file);
    });
    return next;
  }

  private async readJson<T>(file: string, schema: z.ZodType<T>): Promise<T | undefined> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        this.logger.warn(
          { file, err: errorMessage(err) },
          'local state file unreadable; starting without it (the hub resyncs it)',
        );
      return undefined;
    }
    try {
      const parsed = schema.safeParse(JSON.parse(text));
      if (parsed.success) return parsed.data;
      this.logger.warn(
        { file, err: parsed.error.message },
        'local state file invalid; starting without it (the hub resyncs it)',
      );
    } catch (err) {
      this.logger.warn(
        { file, bytes: text.length, err: errorMessage(err) },
        'local state file torn (not JSON); starting without it (the hub resyncs it)',
      );
    }
    return undefined;
  }
}
