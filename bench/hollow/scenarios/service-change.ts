/**
 * One Service change measured at the fleet: the Service frames it sends every node, until they go
 * quiet, and what it cost the hub. The endpoint scenario (`endpoint-change.ts`) runs two of them.
 */
import { isServiceFrame, pickCounts, type FrameCounts } from '../counters.js';
import { waitFor, type FleetRun } from '../run.js';
import { withLoad, type LoadFigures } from './load.js';

/** What one Service change cost the fleet. */
export interface ServiceChangeFigures {
  /** Service frames the fleet received in the window, by type. */
  frames: FrameCounts;
  perNodeBytes: number;
  perNodeFrames: number;
  maxNodeBytes: number;
  /** Nodes that received any Service frame in the window. */
  nodesReached: number;
  /** Change → the last Service frame reached a node (every node has seen the change); 0: none came. */
  lastFrameMs: number;
  /** Whether the Service frames went quiet within the timeout (false: a reconnect loop, say). */
  settled: boolean;
  /** Sessions dropped, and Service frames a node could not apply (it asked for a resync), in the window. */
  drops: number;
  resyncs: number;
  /** Of the drops: sessions the harness ended because the hub's pong was late (by the agent's rule). */
  pongTimeouts: number;
  /** Nodes connected at the end of the window. */
  connected: number;
  /** What the hub warned about in the window (message, count), most frequent first. */
  hubWarnings: Array<[string, number]>;
  load: LoadFigures;
}

/**
 * Waits until the fleet's received Service frames (`isServiceFrame`) stop changing for `quietMs`;
 * returns when that began. Only those: at 1,000 nodes pongs and status traffic never go quiet.
 */
export async function settle(run: FleetRun, quietMs: number, timeoutMs: number): Promise<number> {
  let last = -1;
  let since = Date.now();
  let logged = 0;
  await waitFor(
    'the frames to nodes to settle',
    async () => {
      const s = await run.harness.send({ cmd: 'stats' });
      const service = pickCounts(s.framesIn, isServiceFrame);
      const bytes = Object.values(service).reduce((a, c) => a + c.bytes, 0);
      if (bytes !== last) {
        last = bytes;
        since = Date.now();
        // What keeps arriving, every 5 s while it does (the frames by type, since the last reset).
        if (Date.now() - logged >= 5000) {
          logged = Date.now();
          const parts = Object.entries(service).map(([t, c]) => `${t} ${c.frames}/${Math.round(c.bytes / 1024)} KB`);
          run.log(`  service frames so far: ${parts.join(', ')}; drops ${s.tally.drops}`);
        }
        return undefined;
      }
      // Quiet after some frames, or nothing at all for 10 s (a hub that sends nothing for the change).
      const quiet = Date.now() - since;
      return quiet >= quietMs && (bytes > 0 || quiet >= 10_000) ? true : undefined;
    },
    timeoutMs,
    200,
  );
  return since;
}

/** Runs `change` and measures the Service frames it sends the fleet until they go quiet for `quietMs`. */
export async function serviceChange(
  run: FleetRun,
  change: () => Promise<void>,
  quietMs: number,
  timeoutMs: number,
): Promise<ServiceChangeFigures> {
  const n = run.opts.nodes;
  await run.harness.send({ cmd: 'resetCounters' });
  const before = await run.harness.send({ cmd: 'stats' });
  run.hub.takeWarnings();
  const t0 = Date.now();
  const r = await withLoad(run, async () => {
    await change();
    const settled = await settle(run, quietMs, timeoutMs).then(
      () => true,
      (err: unknown) => {
        run.log(`  ${err instanceof Error ? err.message : String(err)}`);
        return false;
      },
    );
    return { settled };
  });
  const s = await run.harness.send({ cmd: 'stats' });
  const frames = pickCounts(s.framesIn, isServiceFrame);
  const bytes = Object.values(frames).reduce((a, c) => a + c.bytes, 0);
  const count = Object.values(frames).reduce((a, c) => a + c.frames, 0);
  return {
    frames,
    perNodeBytes: bytes / n,
    perNodeFrames: count / n,
    maxNodeBytes: s.maxNodeServiceBytes,
    nodesReached: s.nodesWithServiceFrames,
    lastFrameMs: s.lastServiceFrameAt > t0 ? s.lastServiceFrameAt - t0 : 0,
    settled: r.settled,
    drops: s.tally.drops - before.tally.drops,
    resyncs: s.tally.resyncs - before.tally.resyncs,
    pongTimeouts: s.tally.pongTimeouts - before.tally.pongTimeouts,
    connected: s.connected,
    hubWarnings: run.hub.takeWarnings(),
    load: r.load,
  };
}
