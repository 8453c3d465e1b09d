/**
 * Whether this session's hub takes the `usage` frames' latency histograms (`latencyBuckets`). They
 * were added within protocol 8, so a hub of the same protocol may predate them: its strict schema
 * refuses the frame and answers with an `error` naming the field. The node finds out at the cost of at
 * most one refused frame per session: while probing, only the first frame of a window carries
 * histograms; once `PROBE_WINDOWS` windows went out with no refusal, every frame does; a refusal turns
 * them off until the next session. (The hub is upgraded first, so this is only for an odd skew.)
 */
import type { NodeUsage, PodUsage } from '../../api/index.js';

/** Windows sent while probing before histograms go into every frame. */
export const PROBE_WINDOWS = 2;

/** The field a hub that predates the histograms names when it refuses a frame. */
const FIELD = 'latencyBuckets';

/** A session's answer to "does the hub take histograms?" (see the file comment). */
export class HistogramGate {
  #state: 'probe' | 'on' | 'off' = 'probe';
  #probed = 0;

  /** A new session: probe again (another hub may answer it). */
  reset(): void {
    this.#state = 'probe';
    this.#probed = 0;
  }

  /** The hub refused a frame with `message`; true when it was the histograms (now off). */
  refused(message: string): boolean {
    if (!message.includes(FIELD) || this.#state === 'off') return false;
    this.#state = 'off';
    return true;
  }

  get enabled(): boolean {
    return this.#state !== 'off';
  }

  /** One window's frames as this session's hub takes them. */
  frames(frames: NodeUsage[]): NodeUsage[] {
    if (this.#state === 'on') return frames;
    if (this.#state === 'probe' && ++this.#probed > PROBE_WINDOWS) {
      this.#state = 'on';
      return frames;
    }
    const keepFirst = this.#state === 'probe';
    return frames.map((f, i) => (keepFirst && i === 0 ? f : { ...f, pods: f.pods.map(withoutHistogram) }));
  }
}

function withoutHistogram(p: PodUsage): PodUsage {
  if (p.http?.latencyBuckets === undefined) return p;
  const http = { ...p.http };
  delete http.latencyBuckets;
  return { ...p, http };
}
