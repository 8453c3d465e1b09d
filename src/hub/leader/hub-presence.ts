/**
 * Node liveness across hubs. A node sends its heartbeats to the hub it is connected to, which holds
 * them in memory (never one store write per heartbeat per node); but the node lifecycle controller
 * runs on the leader. So every hub publishes one record — the names of the nodes connected to it —
 * under `/hubs/presence/<identity>`, rewritten every period: one write per hub per period, whatever
 * the number of nodes. Every hub reads the others' records each period; a record that changed within
 * the lease duration (by this hub's own clock, as client-go judges a Lease: no clock comparison
 * between hubs) counts as heartbeats of its nodes. A hub that dies stops rewriting its record, its
 * nodes stop counting as heard, and after the grace period they go Unknown unless they reconnect to
 * another hub (whose record then names them). Records left by dead hubs are removed after ten lease
 * durations.
 *
 * The record also carries the address nodes reach the hub at (when it has one): the live records'
 * addresses are the cluster's hub list, which every hub hands its nodes (protocol 7's `hubs` frame) so
 * a node given one `--server` learns the others.
 */
import { z } from 'zod';
import type { Logger } from '../../api/index.js';
import { AlreadyExistsError, errorMessage } from '../../api/index.js';
import { PeriodicSweep } from '../reconcile/index.js';
import type { Store } from '../store/index.js';

/** Where the records live (outside `/registry/`: not an API object). */
export const PRESENCE_PREFIX = '/hubs/presence/';

const PresenceRecord = z.object({
  hub: z.string(),
  nodes: z.array(z.string()).max(100_000),
  seq: z.number().int(),
  url: z.string().max(512).optional(),
  /** When this hub's current leadership began (RFC 3339), while it leads. */
  leaderSince: z.string().max(64).optional(),
  /** The names of the encryption keys this hub holds, its primary first (an online key rotation waits on them). */
  keys: z.array(z.string().max(64)).max(64).optional(),
});
type PresenceRecord = z.infer<typeof PresenceRecord>;

/**
 * The encryption key names each hub's presence record lists (undefined: a hub that does not publish
 * them), by identity. Records of hubs that died stay until a live hub removes them (ten lease periods).
 */
export async function presenceKeyNames(store: Store): Promise<Map<string, readonly string[] | undefined>> {
  const out = new Map<string, readonly string[] | undefined>();
  for (const item of (await store.list(PRESENCE_PREFIX)).items) {
    const parsed = PresenceRecord.safeParse(item.value);
    if (parsed.success) out.set(parsed.data.hub, parsed.data.keys);
  }
  return out;
}

/** Another hub as this hub sees it through its presence record (`componentstatuses`). */
export interface HubPeer {
  identity: string;
  /** Its address for nodes, when it advertises one. */
  url: string | undefined;
  /** Whether its record changed within the lease (it is alive). */
  live: boolean;
  /** How long since its record last changed, by this hub's clock. */
  silentMs: number;
  /** Nodes connected to it (as of its last record). */
  nodes: number;
  /** When its leadership began, if its record says it leads. */
  leaderSince: string | undefined;
}

/** Options of `HubPresence`. */
export interface HubPresenceOptions {
  store: Store;
  /** This hub's identity (its record's key). */
  identity: string;
  /** How often the record is rewritten and the others read. */
  periodMs: number;
  /** How long a record counts after it last changed. */
  leaseMs: number;
  /** The address nodes reach this hub at, once it listens (undefined: not advertised). */
  url?: () => string | undefined;
  /** When this hub's current leadership began (RFC 3339), undefined while it follows. */
  leaderSince?: () => string | undefined;
  /** The names of this hub's encryption keys, the primary first (never key material). */
  keyNames?: () => readonly string[];
  /** The hub list (this hub's address and the live hubs') changed. */
  onHubs?: (urls: readonly string[]) => void;
  /** The nodes connected to this hub now. */
  localNodes: () => readonly string[];
  /** A node is connected to a live hub (called once per period while it is). */
  onAlive: (node: string) => void;
  /** A node is no longer named by a live hub's record. */
  onGone: (node: string) => void;
  logger: Logger;
}

interface Remote {
  modRevision: number;
  observedAt: number;
  nodes: Set<string>;
  /** Its hub's address while the record is live. */
  url: string | undefined;
  /** The record as last read (undefined if it did not parse). */
  record: PresenceRecord | undefined;
  live: boolean;
}

/** Publishes this hub's connected nodes and reads the other hubs'. */
export class HubPresence {
  readonly #o: HubPresenceOptions;
  readonly #key: string;
  readonly #remote = new Map<string, Remote>();
  #revision: number | undefined;
  #seq = 0;
  /** The periodic publish-and-read (one run at a time; `stop()` waits for the one under way). */
  readonly #ticks: PeriodicSweep<void>;
  /** The hub list last reported through `onHubs` (joined). */
  #hubsSeen = '';

  constructor(opts: HubPresenceOptions) {
    this.#o = opts;
    this.#key = `${PRESENCE_PREFIX}${opts.identity}`;
    // #tick logs its own failures; the sweep's message is for anything that escapes it.
    this.#ticks = new PeriodicSweep({
      run: () => this.#tick(),
      intervalMs: opts.periodMs,
      firstDelayMs: 0,
      logger: opts.logger,
      failureMessage: 'publishing and reading hub presence failed',
    });
  }

  /** This hub's address and the live hubs' (sorted, no duplicates). */
  hubs(): string[] {
    const urls = new Set<string>();
    const own = this.#o.url?.();
    if (own !== undefined) urls.add(own);
    for (const r of this.#remote.values()) if (r.url !== undefined) urls.add(r.url);
    return [...urls].sort();
  }

  /**
   * The address of the live hub (not this one) whose record names `node`, if any: where that node's
   * session, and so its relay listener, is. When several do (a node that moved, named by its old hub's
   * record until that one is rewritten or its lease runs out), the record that changed last wins. A
   * record at this hub's own address (its previous run's) is never one. O(hubs) per call.
   */
  hubOf(node: string): string | undefined {
    const own = this.#o.url?.();
    let best: Remote | undefined;
    for (const r of this.#remote.values()) {
      if (!r.live || r.url === undefined || r.url === own || !r.nodes.has(node)) continue;
      if (best === undefined || r.observedAt > best.observedAt) best = r;
    }
    return best?.url;
  }

  /** The other hubs whose records this hub last read, by identity. */
  peers(): HubPeer[] {
    const now = Date.now();
    return [...this.#remote.entries()]
      .map(([key, r]) => ({
        identity: r.record?.hub ?? key.slice(PRESENCE_PREFIX.length),
        url: r.record?.url,
        live: r.live,
        silentMs: now - r.observedAt,
        nodes: r.record?.nodes.length ?? 0,
        leaderSince: r.live ? r.record?.leaderSince : undefined,
      }))
      .sort((a, b) => a.identity.localeCompare(b.identity));
  }

  start(): void {
    this.#ticks.start();
  }

  /** Stops and removes this hub's record (its nodes stop counting at once; they reconnect elsewhere). */
  async stop(): Promise<void> {
    await this.#ticks.stop();
    await this.#o.store.delete(this.#key).catch(() => undefined);
  }

  async #tick(): Promise<void> {
    try {
      await this.#publish();
    } catch (err) {
      this.#revision = undefined;
      this.#o.logger.warn({ err: errorMessage(err) }, 'publishing the connected nodes failed');
    }
    try {
      await this.#read();
    } catch (err) {
      this.#o.logger.warn({ err: errorMessage(err) }, "reading the other hubs' connected nodes failed");
    }
    const hubs = this.hubs();
    if (hubs.join(' ') !== this.#hubsSeen) {
      this.#hubsSeen = hubs.join(' ');
      this.#o.onHubs?.(hubs);
    }
  }

  async #publish(): Promise<void> {
    const url = this.#o.url?.();
    const leaderSince = this.#o.leaderSince?.();
    const keys = this.#o.keyNames?.();
    const value: PresenceRecord = {
      hub: this.#o.identity,
      nodes: [...this.#o.localNodes()].sort(),
      seq: ++this.#seq,
      ...(url !== undefined ? { url } : {}),
      ...(leaderSince !== undefined ? { leaderSince } : {}),
      ...(keys !== undefined ? { keys: [...keys] } : {}),
    };
    const { store } = this.#o;
    if (this.#revision !== undefined) {
      this.#revision = await store.update(this.#key, value, this.#revision);
      return;
    }
    try {
      this.#revision = await store.create(this.#key, value);
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
      const current = await store.get(this.#key);
      if (current) this.#revision = await store.update(this.#key, value, current.modRevision);
    }
  }

  async #read(): Promise<void> {
    const { items } = await this.#o.store.list(PRESENCE_PREFIX);
    const now = Date.now();
    const local = new Set(this.#o.localNodes());
    const seen = new Set<string>();
    for (const item of items) {
      if (item.key === this.#key) continue;
      seen.add(item.key);
      const parsed = PresenceRecord.safeParse(item.value);
      let r = this.#remote.get(item.key);
      if (!r) {
        r = {
          modRevision: item.modRevision,
          observedAt: now,
          nodes: new Set(),
          url: undefined,
          record: undefined,
          live: false,
        };
        this.#remote.set(item.key, r);
      } else if (r.modRevision !== item.modRevision) {
        r.modRevision = item.modRevision;
        r.observedAt = now;
      }
      const live = parsed.success && now - r.observedAt <= this.#o.leaseMs;
      const nodes = new Set(live ? parsed.data.nodes : []);
      for (const n of r.nodes) if (!nodes.has(n) && !local.has(n)) this.#o.onGone(n);
      for (const n of nodes) this.#o.onAlive(n);
      r.nodes = nodes;
      r.url = live ? parsed.data.url : undefined;
      r.record = parsed.success ? parsed.data : undefined;
      r.live = live;
      if (now - r.observedAt > 10 * this.#o.leaseMs) {
        await this.#o.store.delete(item.key, item.modRevision).catch(() => undefined);
      }
    }
    for (const [key, r] of this.#remote) {
      if (seen.has(key)) continue;
      for (const n of r.nodes) if (!local.has(n)) this.#o.onGone(n);
      this.#remote.delete(key);
    }
  }
}
