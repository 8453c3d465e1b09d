/**
 * Node readiness as the hub records it, followed with a real watch on `/api/v1/nodes` (list, then
 * watch from the list's revision; relist whenever the stream ends or the hub goes away): how many
 * nodes are Ready, every Ready→not-Ready transition, and the longest time a node stayed not Ready.
 */
import { Agent, request } from 'undici';

interface NodeObj {
  metadata: { name: string; resourceVersion?: string };
  status?: { conditions?: Array<{ type: string; status: string; lastTransitionTime?: string }> };
}

interface Track {
  ready: boolean;
  /** ms epoch when it last stopped being Ready (while watched), 0 when Ready. */
  notReadySince: number;
}

/** Follows node readiness until `stop`. */
export class NodeWatch {
  readonly #nodes = new Map<string, Track>();
  /** Ready→not-Ready transitions seen, by node. */
  readonly flaps = new Map<string, number>();
  /** Each flapping node's first not-Ready time (ms epoch) and longest finished not-Ready stretch (ms). */
  readonly #episodes = new Map<string, { from: number; longestMs: number }>();
  maxNotReadyMs = 0;
  relists = 0;
  #stopped = false;
  #agent: Agent;
  #abort = new AbortController();
  #done: Promise<void>;

  constructor(
    private readonly url: () => string,
    private readonly token: string,
    caPem: string,
    /** Only nodes whose name starts with this are followed (the fleet's). */
    private readonly prefix: string,
  ) {
    this.#agent = new Agent({ connect: { ca: caPem }, bodyTimeout: 0, headersTimeout: 120_000 });
    this.#done = this.#loop();
  }

  /** Nodes currently Ready. */
  get ready(): number {
    let n = 0;
    for (const t of this.#nodes.values()) if (t.ready) n++;
    return n;
  }

  /** Total Ready→not-Ready transitions seen. */
  get flapCount(): number {
    let n = 0;
    for (const c of this.flaps.values()) n += c;
    return n;
  }

  /** Forgets transitions and durations seen so far (a new scenario starts). */
  resetFlaps(): void {
    this.flaps.clear();
    this.#episodes.clear();
    this.maxNotReadyMs = 0;
  }

  /** Nodes that stopped being Ready since `resetFlaps`: when first, and their longest stretch (to now if ongoing). */
  notReadyNodes(): Map<string, { from: number; longestMs: number }> {
    const now = Date.now();
    const out = new Map<string, { from: number; longestMs: number }>();
    for (const [name, e] of this.#episodes) {
      const t = this.#nodes.get(name);
      const ongoing = t && !t.ready && t.notReadySince > 0 ? now - t.notReadySince : 0;
      out.set(name, { from: e.from, longestMs: Math.max(e.longestMs, ongoing) });
    }
    return out;
  }

  /** Longest not-Ready time including nodes still not Ready now. */
  longestNotReadyMs(): number {
    let m = this.maxNotReadyMs;
    const now = Date.now();
    for (const t of this.#nodes.values()) if (!t.ready && t.notReadySince > 0) m = Math.max(m, now - t.notReadySince);
    return m;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort();
    await this.#done.catch(() => undefined);
    await this.#agent.close().catch(() => undefined);
  }

  #see(node: NodeObj, deleted = false): void {
    const name = node.metadata.name;
    if (!name.startsWith(this.prefix)) return;
    const ready = !deleted && node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
    const now = Date.now();
    const t = this.#nodes.get(name);
    if (!t) {
      this.#nodes.set(name, { ready, notReadySince: 0 });
      return;
    }
    if (t.ready && !ready) {
      t.notReadySince = now;
      this.flaps.set(name, (this.flaps.get(name) ?? 0) + 1);
      if (!this.#episodes.has(name)) this.#episodes.set(name, { from: now, longestMs: 0 });
    } else if (!t.ready && ready && t.notReadySince > 0) {
      this.maxNotReadyMs = Math.max(this.maxNotReadyMs, now - t.notReadySince);
      const e = this.#episodes.get(name);
      if (e) e.longestMs = Math.max(e.longestMs, now - t.notReadySince);
      t.notReadySince = 0;
    }
    t.ready = ready;
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      try {
        const rv = await this.#list();
        await this.#watch(rv);
      } catch {
        // the hub is down or restarting: relist shortly
      }
      if (!this.#stopped) await new Promise((r) => setTimeout(r, 250));
    }
  }

  async #list(): Promise<string> {
    const res = await request(`${this.url()}/api/v1/nodes`, {
      dispatcher: this.#agent,
      headers: { authorization: `Bearer ${this.token}` },
      signal: this.#abort.signal,
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`list nodes: HTTP ${res.statusCode}`);
    const list = JSON.parse(text) as { metadata: { resourceVersion: string }; items: NodeObj[] };
    this.relists++;
    for (const n of list.items) this.#see(n);
    return list.metadata.resourceVersion;
  }

  async #watch(rv: string): Promise<void> {
    const res = await request(`${this.url()}/api/v1/nodes?watch=true&resourceVersion=${encodeURIComponent(rv)}`, {
      dispatcher: this.#agent,
      headers: { authorization: `Bearer ${this.token}` },
      signal: this.#abort.signal,
    });
    if (res.statusCode !== 200) {
      await res.body.text();
      return;
    }
    let buf = '';
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      buf += chunk.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        const ev = JSON.parse(line) as { type: string; object: NodeObj };
        if (ev.type === 'ERROR') return; // 410: relist
        if (ev.type === 'ADDED' || ev.type === 'MODIFIED') this.#see(ev.object);
        else if (ev.type === 'DELETED') this.#see(ev.object, true);
      }
    }
  }
}
