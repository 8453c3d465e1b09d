/**
 * `wasi:cli/stdin` of a streaming exec (`kubectl exec -i`): bytes as the client sends them, through
 * the exec's shared ring (stdio/stdio-port.ts). `read` takes what is there (maybe nothing),
 * `blocking-read` waits for bytes or the end, and `subscribe` gives a pollable that is ready when a
 * read would not block, so a guest polling stdin together with a clock wakes for either.
 */
import type { StdioPort } from '../stdio/index.js';
import { InputStream, Pollable, monotonicNow, type Waitable, type Waiter } from './io-resources.js';

/**
 * Longest single wait on the ring while `poll` also waits for something else (an outgoing call's
 * answer wakes a different waiter): the wait is cut into slices this long.
 */
const POLL_SLICE_MS = 50;

/** An input stream over a live exec's stdin. */
export class LiveStdinStream extends InputStream {
  readonly #source: Waitable;

  constructor(readonly port: StdioPort) {
    super();
    const waiter: Waiter = {
      waitUntil(untilNs, done) {
        while (!done()) {
          const leftMs = untilNs === undefined ? POLL_SLICE_MS : Number(untilNs - monotonicNow()) / 1e6;
          if (leftMs <= 0) return;
          port.waitOnce(Math.max(1, Math.min(POLL_SLICE_MS, Math.ceil(leftMs))));
        }
      },
    };
    this.#source = { ready: () => port.ready(), waiter };
  }

  override read(max: number): Uint8Array | undefined {
    return this.port.read(max, false);
  }

  override blockingRead(max: number): Uint8Array | undefined {
    return this.port.read(max, true);
  }

  override pollable(): Pollable {
    return new Pollable(undefined, this.#source);
  }
}
