/**
 * Node-local ports for the listeners containers reach Services through. There are no cluster IPs,
 * so each Service port gets a port of its own on the node's pod-facing addresses, keyed
 * `namespace/name:port`. A port, once given to a key, stays that key's: allocations are persisted
 * with the node's local state, so whatever a container read from its env keeps pointing at the same
 * Service across Service updates, other Services coming and going, and agent restarts. A new key
 * prefers the port its name hashes to (a Service then tends to get the same port on every node, and
 * a lost state file mostly rebuilds itself), else the next free one. A key that goes away keeps its
 * port reserved — a Service deleted and re-created gets it back, and a stale env never points at
 * another Service — until the range has no unreserved port left; then the longest-released goes.
 */

/** The ports handed out, inclusive. */
export interface LocalPortRange {
  min: number;
  max: number;
}

/**
 * Default range: below the NodePort range (30000-32767) and the kernel's ephemeral ports
 * (32768-60999), so neither a NodePort nor an outgoing connection's source port collides with it.
 */
export const DEFAULT_LOCAL_PORT_RANGE: LocalPortRange = { min: 20000, max: 29999 };

/** One key's port as persisted; `released` orders keys no longer in use (higher: released later). */
export interface PortAssignment {
  port: number;
  released?: number;
}

/** Stable port allocation. */
export class LocalPortAllocator {
  readonly #byKey = new Map<string, PortAssignment>();
  readonly #byPort = new Map<number, string>();
  /** Ports found held by something else on the node during this run: never handed out again by it. */
  readonly #blocked = new Set<number>();
  #releaseSeq = 0;

  /** Starts from a persisted snapshot; entries outside the range or on a port taken twice are dropped. */
  constructor(
    readonly range: LocalPortRange = DEFAULT_LOCAL_PORT_RANGE,
    saved: Readonly<Record<string, PortAssignment>> = {},
  ) {
    if (!(
      Number.isInteger(range.min) &&
      Number.isInteger(range.max) &&
      range.min >= 1 &&
      range.max <= 65535 &&
      range.min <= range.max
    )) {
      throw new Error(`local port range ${range.min}-${range.max} is not a range of ports`);
    }
    for (const [key, a] of Object.entries(saved)) {
      if (a.port < range.min || a.port > range.max || this.#byPort.has(a.port)) continue;
      this.#set(key, a);
      if (a.released !== undefined) this.#releaseSeq = Math.max(this.#releaseSeq, a.released);
    }
  }

  /**
   * Makes `keys` the set in use: new ones get ports, gone ones are released (their ports stay
   * reserved). Returns true when an assignment changed (persist the snapshot). Keys the range has no
   * room for get none (`portOf` is undefined for them) and are returned in `unassigned`.
   */
  retain(keys: Iterable<string>): { changed: boolean; unassigned: string[] } {
    const wanted = new Set(keys);
    let changed = false;
    const unassigned: string[] = [];
    for (const [key, a] of this.#byKey) {
      if (!wanted.has(key) && a.released === undefined) {
        a.released = ++this.#releaseSeq;
        changed = true;
      }
    }
    for (const key of wanted) {
      const a = this.#byKey.get(key);
      if (!a) {
        if (this.#allocate(key) === undefined) unassigned.push(key);
        else changed = true;
      } else if (a.released !== undefined) {
        delete a.released;
        changed = true;
      }
    }
    return { changed, unassigned };
  }

  /** The port of a key in use. */
  portOf(key: string): number | undefined {
    const a = this.#byKey.get(key);
    return a && a.released === undefined ? a.port : undefined;
  }

  /** The key in use on `port`. */
  keyOf(port: number): string | undefined {
    const key = this.#byPort.get(port);
    return key !== undefined && this.#byKey.get(key)?.released === undefined ? key : undefined;
  }

  /**
   * `key`'s port is held by something else on the node: blocks that port for this run and gives the
   * key another (undefined when the range is full).
   */
  reassign(key: string): number | undefined {
    const a = this.#byKey.get(key);
    if (a) {
      this.#blocked.add(a.port);
      this.#delete(key);
    }
    return this.#allocate(key);
  }

  /** Every assignment, for persisting. */
  snapshot(): Record<string, PortAssignment> {
    const out: Record<string, PortAssignment> = {};
    for (const [key, a] of this.#byKey) out[key] = { ...a };
    return out;
  }

  #allocate(key: string): number | undefined {
    const size = this.range.max - this.range.min + 1;
    const start = fnv1a(key) % size;
    let oldest: { key: string; released: number } | undefined;
    for (let i = 0; i < size; i++) {
      const port = this.range.min + ((start + i) % size);
      if (this.#blocked.has(port)) continue;
      const holder = this.#byPort.get(port);
      if (holder === undefined) {
        this.#set(key, { port });
        return port;
      }
      const released = this.#byKey.get(holder)?.released;
      if (released !== undefined && (!oldest || released < oldest.released)) oldest = { key: holder, released };
    }
    if (!oldest) return undefined;
    const port = this.#byKey.get(oldest.key)!.port;
    this.#delete(oldest.key);
    this.#set(key, { port });
    return port;
  }

  #set(key: string, a: PortAssignment): void {
    const prev = this.#byKey.get(key);
    if (prev) this.#byPort.delete(prev.port);
    this.#byKey.set(key, { ...a });
    this.#byPort.set(a.port, key);
  }

  #delete(key: string): void {
    const a = this.#byKey.get(key);
    if (!a) return;
    this.#byKey.delete(key);
    if (this.#byPort.get(a.port) === key) this.#byPort.delete(a.port);
  }
}

/** FNV-1a: a cheap, stable hash (the same key prefers the same port on every node and every run). */
function fnv1a(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
