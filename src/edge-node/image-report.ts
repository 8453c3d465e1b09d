/**
 * Keeps the hub's view of this node's images current, for the scheduler's ImageLocality: the hello
 * lists them, and after it, while the session speaks protocol 6, the node sends its whole list
 * (`images`) whenever it differs from what the hub holds. A check is asked for whenever the images may
 * have changed — after a pull and a transpile (the pod status reports that follow them), after an image
 * is removed (`changed()` is the hook) — and runs once per `coalesceMs`, so a burst of starts costs one
 * frame; a slow periodic check catches what no hook reported. Level-triggered: the frame is the list.
 */
import type { Logger, NodeImages } from '../api/index.js';
import { IMAGES_PROTOCOL_VERSION } from '../api/index.js';

/** Dependencies of {@link ImageReport}. */
export interface ImageReportDeps {
  /** The images the node holds now (already bounded as the wire takes them). */
  list(): string[];
  /** Sends a frame to the hub; false when it could not be sent (no session). */
  send(frame: NodeImages): boolean;
  logger: Logger;
  /** How long checks asked for are gathered into one (default 500 ms). */
  coalesceMs?: number;
  /** Interval of the periodic check (default 30 s). */
  checkMs?: number;
}

/** Order-free identity of an image list. */
const keyOf = (images: readonly string[]): string => [...images].sort().join('\n');

/** Sends the node's image list when it changed since the hub last had it. */
export class ImageReport {
  #protocol = 0;
  /** The list the hub holds (from the hello or the last frame). */
  #held: string | undefined;
  /** The list the last hello carried: the hub holds it once it welcomes that session. */
  #offered: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #periodic: NodeJS.Timeout | undefined;

  constructor(private readonly deps: ImageReportDeps) {}

  /** Frames sent so far (diagnostics and tests). */
  sent = 0;

  /** Starts the periodic check. */
  start(): void {
    this.#periodic ??= setInterval(() => this.changed(), this.deps.checkMs ?? 30_000);
    this.#periodic.unref();
  }

  /** Stops the timers. */
  stop(): void {
    clearInterval(this.#periodic);
    clearTimeout(this.#timer);
    this.#periodic = this.#timer = undefined;
  }

  /** A hello is about to carry `images`. */
  offered(images: readonly string[]): void {
    this.#offered = keyOf(images);
  }

  /** The hub welcomed the session with `protocol`: it holds the hello's list; a change since goes out. */
  connected(protocol: number): void {
    this.#protocol = protocol;
    this.#held = this.#offered;
    this.changed();
  }

  /** The session closed: the next hello lists the images afresh. */
  disconnected(): void {
    this.#protocol = 0;
    this.#held = undefined;
  }

  /** The node's images may have changed: a check runs within `coalesceMs`. */
  changed(): void {
    if (this.#timer || this.#protocol < IMAGES_PROTOCOL_VERSION) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.check();
    }, this.deps.coalesceMs ?? 500);
    this.#timer.unref();
  }

  /** Sends the list now if the hub does not hold it; true when a frame went out. */
  check(): boolean {
    if (this.#protocol < IMAGES_PROTOCOL_VERSION) return false;
    const images = this.deps.list();
    const key = keyOf(images);
    if (key === this.#held) return false;
    if (!this.deps.send({ type: 'images', images })) return false;
    this.#held = key;
    this.sent++;
    this.deps.logger.debug({ images: images.length }, 'image list sent to the hub');
    return true;
  }
}
