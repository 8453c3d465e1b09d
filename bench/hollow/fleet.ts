/**
 * A hollow fleet: N hollow nodes in one process, sharing one timer wheel and one bootstrap
 * connection pool. Joins are run with bounded concurrency (first-join cost is measured apart from
 * connecting); the fleet can be started, killed and restarted en masse, and reports its counts.
 */
import { GATEWAY_PATH } from '../../src/api/index.js';
import { DEFAULT_TUNING, emptyTally, noteError, type FleetContext, type HollowTuning } from './context.js';
import { addCounts, isServiceFrame, type FrameCounts } from './counters.js';
import type { DialRecord } from './dial-log.js';
import { HollowNode } from './hollow-node.js';
import { HollowIdentities } from './identity.js';
import { TimerWheel, jitter } from './wheel.js';

/** Options of a fleet. */
export interface HollowFleetOptions {
  server: string;
  joinToken: string;
  /** Where node keys and certificates are kept between runs. */
  dataDir: string;
  nodes: number;
  /** Node names are `<prefix>-00000`… (default `hollow`). */
  prefix?: string;
  tuning?: Partial<HollowTuning>;
}

/** How the fleet's credentials were obtained and how long that took. */
export interface JoinReport {
  stored: number;
  csr: number;
  keygenCsr: number;
  failed: number;
  ms: number;
}

/** The fleet's counts at one moment (what `stats` returns over IPC). */
/** What `progress` returns: connected nodes and the tally, without the errors' text. */
export interface FleetProgress {
  nodes: number;
  connected: number;
  tally: Omit<FleetStats['tally'], 'errors'>;
}

export interface FleetStats {
  at: number;
  nodes: number;
  connected: number;
  /** Nodes ever welcomed, and the time of the latest first welcome (ms epoch). */
  everWelcomed: number;
  lastFirstWelcomeAt: number;
  reconnects: number;
  podsHeld: number;
  podsReadyHeld: number;
  tally: ReturnType<typeof emptyTally>;
  framesIn: FrameCounts;
  framesOut: FrameCounts;
  /** The largest per-node received bytes and frames (one node's worst case). */
  maxNodeInBytes: number;
  maxNodeInFrames: number;
  /** The largest per-node received bytes of Service frames (`isServiceFrame`). */
  maxNodeServiceBytes: number;
  /** The harness's own longest event-loop lag (ms): were its nodes late, rather than the hub? */
  harnessMaxLagMs: number;
  /** When the latest Service frame reached any node (ms epoch; 0: none). */
  lastServiceFrameAt: number;
  /** Nodes that received a Service frame since the counters were reset. */
  nodesWithServiceFrames: number;
  /** Pings the nodes sent the hub, all sessions. */
  pings: number;
}

/** Differences of pod placement since `markAssignments`. */
export interface AssignmentDiff {
  before: number;
  after: number;
  /** Pods held before and now on another node, or not held at all, and pods new since. */
  moved: number;
  missing: number;
  added: number;
}

/** `wss://host:port/<gateway path>` of an `https://` hub URL (the agent's mapping; imported without the agent). */
function gatewayUrl(server: string): string {
  const u = new URL(server);
  u.protocol = 'wss:';
  u.pathname = u.pathname.replace(/\/+$/, '') + GATEWAY_PATH;
  return u.toString();
}

export class HollowFleet {
  readonly nodes: HollowNode[] = [];
  readonly #ctx: FleetContext;
  #marked = new Map<string, string>();

  private constructor(ctx: FleetContext, opts: HollowFleetOptions) {
    this.#ctx = ctx;
    const prefix = opts.prefix ?? 'hollow';
    for (let i = 0; i < opts.nodes; i++) {
      const address = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      this.nodes.push(new HollowNode(`${prefix}-${String(i).padStart(5, '0')}`, address, ctx));
    }
  }

  /** Pins the hub CA and builds the nodes (nothing dials yet). */
  static async create(opts: HollowFleetOptions): Promise<HollowFleet> {
    const identities = await HollowIdentities.open(opts);
    const ctx: FleetContext = {
      gatewayUrl: gatewayUrl(opts.server),
      identities,
      wheel: new TimerWheel(),
      tuning: { ...DEFAULT_TUNING, ...opts.tuning },
      tally: emptyTally(),
      seenPods: new Set(),
      readyPods: new Set(),
    };
    return new HollowFleet(ctx, opts);
  }

  /** Gets every node's credential (stored, or by CSR), `concurrency` at a time. */
  async join(concurrency = 16, forceCsr = false): Promise<JoinReport> {
    const t0 = Date.now();
    const report: JoinReport = { stored: 0, csr: 0, keygenCsr: 0, failed: 0, ms: 0 };
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < this.nodes.length) {
        const node = this.nodes[next++]!;
        try {
          const source = await node.join(forceCsr);
          if (source === 'stored') report.stored++;
          else if (source === 'csr') report.csr++;
          else report.keygenCsr++;
        } catch (err) {
          report.failed++;
          noteError(this.#ctx.tally, err instanceof Error ? err.message : String(err));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
    report.ms = Date.now() - t0;
    return report;
  }

  /** Every node dials, spread uniformly over `rampMs` (0: all at once, as after a power cut). */
  start(rampMs = 0): void {
    for (const n of this.nodes) n.start(jitter(0, rampMs));
  }

  /** Every node drops its socket at once and stops redialing (pods are kept, as a real node keeps them). */
  kill(): void {
    for (const n of this.nodes) n.kill();
  }

  /** Forces the readiness of one held pod (`uid`, or the first held pod when absent). */
  setReady(ready: boolean | undefined, uid?: string): { node: string; uid: string; name: string } | undefined {
    for (const n of this.nodes) {
      let target = uid;
      if (target === undefined) for (const [held] of n.pods.entries()) if ((target = held)) break;
      if (target !== undefined && n.pods.setReady(target, ready))
        return { node: n.name, uid: target, name: n.pods.ref(target)?.name ?? '' };
    }
    return undefined;
  }

  /** Zeroes frame counters (a measurement window starts). */
  resetCounters(): void {
    for (const n of this.nodes) n.counters.reset();
  }

  /** Remembers which node holds which pod, for `diffAssignments`, and starts every node's dial log. */
  markAssignments(): number {
    this.#marked = this.#assignments();
    const now = Date.now();
    for (const n of this.nodes) n.dials.mark(now);
    return this.#marked.size;
  }

  /** How the placement differs from the marked one. */
  diffAssignments(): AssignmentDiff {
    const now = this.#assignments();
    let moved = 0;
    let missing = 0;
    for (const [uid, node] of this.#marked) {
      const at = now.get(uid);
      if (at === undefined) missing++;
      else if (at !== node) moved++;
    }
    let added = 0;
    for (const uid of now.keys()) if (!this.#marked.has(uid)) added++;
    return { before: this.#marked.size, after: now.size, moved, missing, added };
  }

  /** Every node's dials since `markAssignments`. */
  dialReport(): DialRecord[] {
    return this.nodes.map((n) => n.dials.record(n.name));
  }

  /**
   * The counts a scenario polls for (every 250 ms): a walk over the nodes' flags only. `stats` sums every
   * node's frame counters, ~10 ms of the harness at 10,000 nodes, which it would spend 40 times a second.
   */
  progress(): FleetProgress {
    let connected = 0;
    for (const n of this.nodes) if (n.connected) connected++;
    const tally: FleetProgress['tally'] & { errors?: string[] } = { ...this.#ctx.tally };
    delete tally.errors; // the errors' text is what makes `stats` heavy to send
    return { nodes: this.nodes.length, connected, tally };
  }

  /** Current counts. */
  stats(): FleetStats {
    const framesIn: FrameCounts = {};
    const framesOut: FrameCounts = {};
    let connected = 0;
    let everWelcomed = 0;
    let lastFirstWelcomeAt = 0;
    let reconnects = 0;
    let podsHeld = 0;
    let podsReadyHeld = 0;
    let maxNodeInBytes = 0;
    let maxNodeInFrames = 0;
    let maxNodeServiceBytes = 0;
    let lastServiceFrameAt = 0;
    let nodesWithServiceFrames = 0;
    let pings = 0;
    for (const n of this.nodes) {
      pings += n.pings;
      lastServiceFrameAt = Math.max(lastServiceFrameAt, n.lastServiceFrameAt);
      if (n.connected) connected++;
      if (n.firstWelcomeAt > 0) everWelcomed++;
      lastFirstWelcomeAt = Math.max(lastFirstWelcomeAt, n.firstWelcomeAt);
      reconnects += n.reconnects;
      podsHeld += n.pods.size;
      podsReadyHeld += n.pods.readyCount();
      addCounts(framesIn, n.counters.in);
      addCounts(framesOut, n.counters.out);
      let b = 0;
      let f = 0;
      let sb = 0;
      for (const [type, c] of Object.entries(n.counters.in)) {
        b += c.bytes;
        f += c.frames;
        if (isServiceFrame(type)) sb += c.bytes;
      }
      maxNodeServiceBytes = Math.max(maxNodeServiceBytes, sb);
      if (sb > 0) nodesWithServiceFrames++;
      maxNodeInBytes = Math.max(maxNodeInBytes, b);
      maxNodeInFrames = Math.max(maxNodeInFrames, f);
    }
    return {
      at: Date.now(),
      nodes: this.nodes.length,
      connected,
      everWelcomed,
      lastFirstWelcomeAt,
      reconnects,
      podsHeld,
      podsReadyHeld,
      tally: { ...this.#ctx.tally, errors: [...this.#ctx.tally.errors] },
      framesIn,
      framesOut,
      maxNodeInBytes,
      maxNodeInFrames,
      maxNodeServiceBytes,
      harnessMaxLagMs: this.#ctx.wheel.maxLagMs,
      lastServiceFrameAt,
      nodesWithServiceFrames,
      pings,
    };
  }

  /** Stops everything: sockets dropped, the wheel stopped, the bootstrap pool closed. */
  async close(): Promise<void> {
    this.kill();
    this.#ctx.wheel.stop();
    await this.#ctx.identities.close();
  }

  #assignments(): Map<string, string> {
    const m = new Map<string, string>();
    for (const n of this.nodes) for (const [uid] of n.pods.entries()) m.set(uid, n.name);
    return m;
  }
}
