/**
 * A window's usage cut into `usage` frames: at most `MAX_USAGE_PODS_PER_FRAME` pods each, every frame
 * carrying the node's own figures and the same timestamp and window (the hub merges by pod). A node
 * with no pods still sends one frame (its own usage).
 */
import { MAX_USAGE_PODS_PER_FRAME, type NodeUsage, type PodUsage } from '../../api/index.js';

/** One window's figures, before they are cut into frames. */
export interface UsageWindow {
  timestamp: string;
  windowSeconds: number;
  node: NodeUsage['node'];
  pods: readonly PodUsage[];
}

/** The frames of one window (see the file comment). */
export function usageFrames(w: UsageWindow, perFrame = MAX_USAGE_PODS_PER_FRAME): NodeUsage[] {
  const frames: NodeUsage[] = [];
  const base = { type: 'usage' as const, timestamp: w.timestamp, windowSeconds: w.windowSeconds, node: w.node };
  for (let i = 0; i < w.pods.length; i += perFrame) frames.push({ ...base, pods: w.pods.slice(i, i + perFrame) });
  if (frames.length === 0) frames.push({ ...base, pods: [] });
  return frames;
}
