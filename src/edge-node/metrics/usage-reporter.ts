/**
 * Sends the node's usage to the hub: every `intervalMs` a sample (usage-sampler.ts) is taken, and
 * while the session speaks protocol 3 or later its window goes out as `usage` frames. Sampling goes
 * on while the hub is away or speaks an older protocol (windows stay short and Prometheus' per-pod
 * CPU and memory stay fresh); nothing queues up for the hub: a window it missed is gone. A slow
 * sample (a runtime slow to answer) makes the next tick wait, never overlap.
 */
import { METRICS_PROTOCOL_VERSION, errorMessage } from '../../api/index.js';
import type { Logger, NodeUsage } from '../../api/index.js';
import { HistogramGate } from './histogram-gate.js';
import { usageFrames } from './usage-frames.js';
import type { UsageSampler } from './usage-sampler.js';

/** Default `--metrics-interval`. */
export const DEFAULT_METRICS_INTERVAL_MS = 5000;

/** What the reporter needs. */
export interface UsageReporterDeps {
  sampler: Pick<UsageSampler, 'sample'>;
  /** Sends one frame to the hub; false when there is no welcomed connection. */
  send(frame: NodeUsage): boolean;
  /** 0 disables sampling and frames. */
  intervalMs: number;
  logger: Logger;
  /** Called after every sample (pruning of per-pod state, tests). */
  afterSample?(): void;
}

/** Periodic `usage` frames (see the file comment). */
export class UsageReporter {
  readonly #deps: UsageReporterDeps;
  #timer: NodeJS.Timeout | undefined;
  #protocol = 0;
  #running: Promise<void> | undefined;
  /** Whether the session's hub takes latency histograms. */
  readonly #histograms = new HistogramGate();
  /** Frames sent so far (diagnostics, tests). */
  framesSent = 0;

  constructor(deps: UsageReporterDeps) {
    this.#deps = deps;
  }

  /** Starts sampling (the first sample is the baseline of the first window). */
  start(): void {
    if (this.#timer || this.#deps.intervalMs <= 0) return;
    this.#running = this.#tick();
    this.#timer = setInterval(() => {
      if (!this.#running) this.#running = this.#tick();
    }, this.#deps.intervalMs);
    this.#timer.unref();
  }

  /** The hub welcomed the session with `protocol`: frames go out from now when it is 3 or later. */
  connected(protocol: number): void {
    this.#protocol = protocol;
    this.#histograms.reset();
  }

  /** The hub answered a frame with an `error`: when it refused the latency histograms, stop sending them. */
  hubError(message: string): void {
    if (this.#histograms.refused(message))
      this.#deps.logger.info('the hub predates request latency histograms in usage frames; sending none to it');
  }

  disconnected(): void {
    this.#protocol = 0;
  }

  /** Whether the session takes metrics frames (protocol 3 or later) now. */
  get speaksMetrics(): boolean {
    return this.#protocol >= METRICS_PROTOCOL_VERSION;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  async #tick(): Promise<void> {
    try {
      const window = await this.#deps.sampler.sample();
      this.#deps.afterSample?.();
      if (!window || this.#protocol < METRICS_PROTOCOL_VERSION) return;
      for (const frame of this.#histograms.frames(usageFrames(window))) {
        if (!this.#deps.send(frame)) return;
        this.framesSent += 1;
      }
    } catch (err) {
      this.#deps.logger.warn({ err: errorMessage(err) }, 'usage sample failed');
    } finally {
      this.#running = undefined;
    }
  }
}
