/**
 * The registration scenario: every node joins (credentials) and connects; then the hub idles under
 * watch.
 */
import type { FrameCounts } from '../counters.js';
import type { FleetStats } from '../fleet.js';
import { waitFor, type FleetRun } from '../run.js';
import { ProcSampler, type ProcWindow } from '../samplers.js';
import { withLoad, type LoadFigures } from './load.js';
import { dialGroup, type DialGroup } from './storm-dials.js';

/** What registering the fleet took, and the hub idle after it. */
export interface RegisterFigures {
  join: { ms: number; stored: number; csr: number; keygenCsr: number; failed: number };
  /** Dial start → every node welcomed (harness) and Ready (hub). */
  allConnectedMs: number;
  allReadyMs: number;
  drops: number;
  failedDials: number;
  load: LoadFigures;
  /** Every node's dials: when the one welcomed started, how long it took, and the failures before it. */
  dials: DialGroup;
  idle: ProcWindow;
  /** Per node and minute of the idle window: pings and frames to the hub, frames from it. */
  idleTraffic: { pings: number; framesOut: number; framesIn: number };
}

function frames(counts: FrameCounts): number {
  let n = 0;
  for (const c of Object.values(counts)) n += c.frames;
  return n;
}

/** Per node and minute between two fleet stats. */
function trafficBetween(a: FleetStats, b: FleetStats): RegisterFigures['idleTraffic'] {
  const per = (x: number): number => (x / Math.max(1, b.nodes) / Math.max(1, b.at - a.at)) * 60_000;
  return {
    pings: per(b.pings - a.pings),
    framesOut: per(frames(b.framesOut) - frames(a.framesOut)),
    framesIn: per(frames(b.framesIn) - frames(a.framesIn)),
  };
}

/** Joins (credentials) and connects every node; then watches the hub idle for `idleMs`. */
export async function register(run: FleetRun, timeoutMs: number, idleMs = 10_000): Promise<RegisterFigures> {
  const n = run.opts.nodes;
  const join = await run.harness.send({ cmd: 'join', concurrency: 16 });
  run.log(
    `joined ${n} nodes in ${join.ms} ms (stored ${join.stored}, csr ${join.csr}, new key ${join.keygenCsr}, failed ${join.failed})`,
  );
  if (join.failed > 0)
    throw new Error(
      `${join.failed} nodes could not join: ${(await run.harness.send({ cmd: 'stats' })).tally.errors.join('; ')}`,
    );
  await run.harness.send({ cmd: 'markAssignments' }); // marks the dial logs
  const t0 = Date.now();
  const r = await withLoad(run, async () => {
    await run.harness.send({ cmd: 'start', rampMs: 0 });
    let allConnectedMs = 0;
    let logAt = t0 + 5000;
    await waitFor(
      `${n} nodes Ready`,
      async () => {
        const s = await run.harness.send({ cmd: 'progress' });
        if (Date.now() >= logAt) {
          logAt += 5000;
          run.log(
            `  ${Math.round((Date.now() - t0) / 1000)} s: ${s.connected}/${n} connected, ${run.watch.ready} Ready, ${s.tally.failedDials} failed dials`,
          );
        }
        if (allConnectedMs === 0 && s.connected >= n) allConnectedMs = Date.now() - t0;
        return s.connected >= n && run.watch.ready >= n ? true : undefined;
      },
      timeoutMs,
    );
    return { allConnectedMs, allReadyMs: Date.now() - t0 };
  });
  const s = await run.harness.send({ cmd: 'stats' });
  const dials = dialGroup(await run.harness.send({ cmd: 'dialReport' }), 0);
  run.log(`registered ${n} nodes: all connected in ${r.allConnectedMs} ms, all Ready in ${r.allReadyMs} ms`);
  const idle = new ProcSampler(() => run.hub.pid);
  idle.start();
  await new Promise((res) => setTimeout(res, idleMs)); // a measurement window, not a wait for a condition
  const idleTraffic = trafficBetween(s, await run.harness.send({ cmd: 'stats' }));
  return { join, ...r, drops: s.tally.drops, failedDials: s.tally.failedDials, dials, idle: idle.stop(), idleTraffic };
}
