/**
 * The hubs a node knows (`edge-node --server a --server b` or `--server a,b`) and which one it uses now.
 * Several hubs of one cluster share an etcd and a CA, so any of them serves the node; the node stays on
 * the one that welcomed it and moves to the next in the list when a dial to it fails or its connection
 * drops. Everything else that talks to "the hub" (node-certificate renewal, blob downloads) reads
 * `current` at each request, so it follows the session to whichever hub it is on.
 *
 * The hubs also tell the node about each other (protocol 7's `hubs` frame): `learn` adds the hubs
 * they list after the ones the node was given, so a node started with one `--server` can fail over to
 * the others. The given hubs always stay (a hub's list cannot take them away), and so does the hub in
 * use; a learned hub of another scheme family than the given ones (plain HTTP next to TLS) is ignored.
 * With a `LearnedHubsStore` the learned hubs outlive the process: they are kept on every change and
 * added after the given ones at start, so a node restarted while its `--server` is down dials them.
 */
import type { LearnedHubsStore } from './learned-hubs.js';

/** Listener told when the node moves to another hub. */
export type HubChangeListener = (url: string, previous: string) => void;

/** The node's hub addresses, one of them current. */
export class HubEndpoints {
  /** The hubs the node was started with. */
  readonly #given: readonly string[];
  #urls: readonly string[];
  #index = 0;
  /** Hubs that failed in a row since the last welcome (a full round means: every hub is down). */
  #failedInRow = 0;
  readonly #listeners = new Set<HubChangeListener>();
  readonly #learned: LearnedHubsStore | undefined;

  /**
   * `urls` in order of preference (the first is dialed first); duplicates are dropped. The hubs kept
   * in `learned` from an earlier run follow them.
   */
  constructor(urls: readonly string[], opts: { learned?: LearnedHubsStore } = {}) {
    const unique = [...new Set(urls.map((u) => u.trim()).filter((u) => u !== ''))];
    if (unique.length === 0) throw new Error('at least one hub URL is needed');
    this.#given = unique;
    this.#urls = unique;
    this.#learned = opts.learned;
    if (this.#learned) this.#adopt(this.#learned.load());
  }

  /** One hub, or a list of them, as a `HubEndpoints` (an existing one is returned as is). */
  static of(hub: string | readonly string[] | HubEndpoints): HubEndpoints {
    if (hub instanceof HubEndpoints) return hub;
    return new HubEndpoints(typeof hub === 'string' ? [hub] : hub);
  }

  /** Every hub, in the order given. */
  get all(): readonly string[] {
    return this.#urls;
  }

  /** The hub in use (as given: `https://…`, `wss://…`, …). */
  get current(): string {
    return this.#urls[this.#index]!;
  }

  /** The current hub's base URL for REST calls: `http(s)://host:port[/prefix]`, no trailing slash. */
  get currentBase(): string {
    return restBase(this.current);
  }

  /** The current hub welcomed the node: a later failure starts a new round. */
  succeeded(): void {
    this.#failedInRow = 0;
  }

  /**
   * The current hub failed (a dial that got no welcome, or a connection that dropped): moves to the
   * next hub. Returns true when every hub has now failed in a row (the caller backs off longer).
   */
  failed(): boolean {
    this.#failedInRow++;
    if (this.#urls.length > 1) {
      const previous = this.current;
      this.#index = (this.#index + 1) % this.#urls.length;
      for (const l of this.#listeners) l(this.current, previous);
    }
    return this.#failedInRow >= this.#urls.length;
  }

  /**
   * The hubs the cluster lists now (a `hubs` frame): the node's list becomes the hubs it was given,
   * then the listed ones it did not know, then the hub in use if neither names it. Returns true when
   * the list changed.
   */
  learn(listed: readonly string[]): boolean {
    if (!this.#adopt(listed)) return false;
    this.#learned?.save(this.#urls.slice(this.#given.length));
    return true;
  }

  /** `learn` without keeping the result (the list read back at start is already kept). */
  #adopt(listed: readonly string[]): boolean {
    const tls = isTls(this.#given[0]!);
    const known = new Set(this.#given.map(sameHub));
    const next = [...this.#given];
    for (const u of listed) {
      const url = u.trim();
      if (url === '' || isTls(url) !== tls || known.has(sameHub(url))) continue;
      known.add(sameHub(url));
      next.push(url);
    }
    const current = this.current;
    if (!known.has(sameHub(current))) next.push(current);
    if (next.length === this.#urls.length && next.every((u, i) => u === this.#urls[i])) return false;
    this.#urls = next;
    this.#index = next.findIndex((u) => sameHub(u) === sameHub(current));
    return true;
  }

  /** Calls `listener` each time the node moves to another hub; returns a function removing it. */
  onChange(listener: HubChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** Whether `url` is a TLS address (`https`/`wss`). */
function isTls(url: string): boolean {
  return /^(https|wss):/i.test(url);
}

/** One hub, however its URL is spelled (`wss://h:1/` and `https://h:1` are the same hub). */
function sameHub(url: string): string {
  return restBase(url).toLowerCase();
}

/** A hub URL as a REST base: `ws(s)` becomes `http(s)`, trailing slashes go. */
export function restBase(url: string): string {
  return url.replace(/^ws/i, 'http').replace(/\/+$/, '');
}
