/**
 * A window's usage cut into `usage` frames: at most `MAX_USAGE_PODS_PER_FRAME` pods each, and no more
 * msgpack values than the hub decodes in one node frame (pods with latency histograms are bigger),
 * every frame carrying the node's own figures and the same timestamp and window (the hub merges by
 * pod). A node with no pods still sends one frame (its own usage).
 */
import { DEFAULT_MAX_FRAME_VALUES, MAX_USAGE_PODS_PER_FRAME, type NodeUsage, type PodUsage } from '../../api/index.js';

/** One window's figures, before they are cut into frames. */
export interface UsageWindow {
  timestamp: string;
  windowSeconds: number;
  node: NodeUsage['node'];
  pods: readonly PodUsage[];
}

/** Values left for the pods of a frame: the hub's bound less the frame's own fields, with room to spare. */
const POD_VALUES = DEFAULT_MAX_FRAME_VALUES - 64;

/** The frames of one window (see the file comment). */
export function usageFrames(w: UsageWindow, perFrame = MAX_USAGE_PODS_PER_FRAME): NodeUsage[] {
  const frames: NodeUsage[] = [];
  const base = { type: 'usage' as const, timestamp: w.timestamp, windowSeconds: w.windowSeconds, node: w.node };
  let pods: PodUsage[] = [];
  let values = 0;
  for (const p of w.pods) {
    const n = valueCount(p);
    if (pods.length > 0 && (pods.length >= perFrame || values + n > POD_VALUES)) {
      frames.push({ ...base, pods });
      pods = [];
      values = 0;
    }
    pods.push(p);
    values += n;
  }
  if (pods.length > 0 || frames.length === 0) frames.push({ ...base, pods });
  return frames;
}

/** The msgpack values `v` encodes to, as the hub's bound counts them (a map's keys count too). */
function valueCount(v: unknown): number {
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + valueCount(x), 1);
  if (v !== null && typeof v === 'object')
    return Object.values(v).reduce((n: number, x) => (x === undefined ? n : n + 1 + valueCount(x)), 1);
  return 1;
}
