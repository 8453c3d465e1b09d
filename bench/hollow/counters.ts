/** Frames and bytes per message type and direction: per node, and summed over the fleet. */

/** Frames and bytes of one message type. */
export interface FrameCount {
  frames: number;
  bytes: number;
}

/** Counts of one direction, by message type (unknown types included, under their own name). */
export type FrameCounts = Record<string, FrameCount>;

/** Frame counters of one node. */
export class NodeCounters {
  readonly in: FrameCounts = {};
  readonly out: FrameCounts = {};

  /** Counts one frame of `type` received (`in`) or sent (`out`). */
  count(dir: 'in' | 'out', type: string, bytes: number): void {
    const table = this[dir];
    const c = (table[type] ??= { frames: 0, bytes: 0 });
    c.frames++;
    c.bytes += bytes;
  }

  /** Forgets everything counted (a scenario's measurement window starts). */
  reset(): void {
    for (const t of [this.in, this.out]) for (const k of Object.keys(t)) delete t[k];
  }
}

/** Adds `from` into `into`. */
export function addCounts(into: FrameCounts, from: FrameCounts): void {
  for (const [type, c] of Object.entries(from)) {
    const t = (into[type] ??= { frames: 0, bytes: 0 });
    t.frames += c.frames;
    t.bytes += c.bytes;
  }
}

/**
 * Whether a frame type carries Services (protocol 1's `serviceSync`, protocol 2's `serviceSet` and
 * `serviceDelta`): what an endpoint change sends. Pongs, pod syncs and the rest of a live fleet's
 * traffic never stop at 1,000 nodes, so a "quiet" rule must look at these only.
 */
export function isServiceFrame(type: string): boolean {
  return type.startsWith('service') && type !== 'serviceWake';
}

/** The subset of `counts` whose type passes `keep`. */
export function pickCounts(counts: FrameCounts, keep: (type: string) => boolean): FrameCounts {
  const out: FrameCounts = {};
  for (const [type, c] of Object.entries(counts)) if (keep(type)) out[type] = { ...c };
  return out;
}
