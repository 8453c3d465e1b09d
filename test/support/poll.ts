/**
 * Waiting in end-to-end tests: a cluster's state arrives in its own time (a pod Ready, a URL printed),
 * so tests poll for it with a deadline instead of sleeping a guessed amount.
 */

/** Polls `fn` until it returns a truthy value. */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) {
      const why = last instanceof Error ? last.toString() : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${why})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
