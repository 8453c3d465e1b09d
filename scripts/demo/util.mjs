/** Small helpers every step of the demo uses: a line of output, and polling until something holds. */

/** Writes one line to stdout. */
export const say = (msg) => process.stdout.write(`${msg}\n`);

/**
 * Calls `fn` every 250 ms until it returns something truthy (a throw counts as not yet), and resolves
 * to that; rejects with "timed out waiting for <what>" after `timeoutMs`.
 */
export async function until(what, fn, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
