/**
 * The hub's and the harness's load over one scenario: CPU and RSS from /proc, the hub's longest
 * event-loop block. Every fleet scenario measures its body through `withLoad`.
 */
import type { FleetRun } from '../run.js';
import { LoopSampler, ProcSampler, type LoopWindow, type ProcWindow } from '../samplers.js';

/** Hub load over a scenario. */
export interface LoadFigures {
  hub: ProcWindow;
  /** The harness process (it shares the machine's cores with the hub). */
  harness: ProcWindow;
  loop: LoopWindow;
}

/** Runs `body` with the hub, harness and event-loop samplers on; its result gains their `load`. */
export async function withLoad<T>(run: FleetRun, body: () => Promise<T>): Promise<T & { load: LoadFigures }> {
  const proc = new ProcSampler(() => run.hub.pid);
  const harness = new ProcSampler(() => run.harness.pid);
  const loop = new LoopSampler(() => run.http);
  proc.start();
  harness.start();
  loop.start();
  try {
    const result = await body();
    return { ...result, load: { hub: proc.stop(), harness: harness.stop(), loop: await loop.stop() } };
  } finally {
    proc.stop();
    harness.stop();
    await loop.stop();
  }
}
