/**
 * What bounds a request body: the errors of one that is too large, cut short, or finds the node's
 * buffers full (the client's failure, or the node's room for it: answered by the listener, counted
 * against no endpoint), and `BodyBuffers`, the node-wide budget of bodies held whole.
 */

/** The request body was larger than allowed. */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body larger than ${limit} bytes`);
  }
}

/** The node's budget for whole bodies is spent: the request should be tried again later. */
export class BodyBuffersFullError extends Error {
  constructor(readonly budget: number) {
    super(`the node's request body buffers are full (${budget} bytes for bodies held whole): try again later`);
  }
}

/** The client went away before its body was complete. */
export class BodyAbortedError extends Error {}

/**
 * The failure behind `err` that is the client's body's (too large, cut short) or the node's room for
 * it, when it is one: such a request is answered by the listener and counts against no endpoint.
 * undici may wrap or replace the error of a body stream, hence the `overflowed` check.
 */
export function clientBodyError(
  err: unknown,
  body: { readonly overflowed: boolean; readonly limit: number },
): Error | undefined {
  if (err instanceof BodyTooLargeError || err instanceof BodyBuffersFullError || err instanceof BodyAbortedError)
    return err;
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  if (cause instanceof BodyTooLargeError || cause instanceof BodyAbortedError) return cause;
  if (body.overflowed) return new BodyTooLargeError(body.limit);
  return undefined;
}

/** A node-wide count of the bytes held by whole bodies, refused past its budget. */
export class BodyBuffers {
  #used = 0;

  constructor(readonly budget: number) {}

  /** Bytes held now. */
  get used(): number {
    return this.#used;
  }

  /** Takes `n` bytes; false (nothing taken) when they do not fit. */
  take(n: number): boolean {
    if (this.#used + n > this.budget) return false;
    this.#used += n;
    return true;
  }

  give(n: number): void {
    this.#used = Math.max(0, this.#used - n);
  }
}
