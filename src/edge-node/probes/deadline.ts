/** Racing probe work against the probe's `timeoutSeconds` on the probe timers. */
import type { ProbeTimers } from './types.js';

/** Either the settled value or a timeout; on timeout `work` goes on and `pending` tracks it. */
export type Raced<T> = { timedOut: false; value: T } | { timedOut: true; pending: Promise<unknown> };

/** Waits for `work` at most `timeoutMs`. Rejections of `work` before the deadline are rethrown. */
export function raceDeadline<T>(work: Promise<T>, timeoutMs: number, timers: ProbeTimers): Promise<Raced<T>> {
  return new Promise<Raced<T>>((resolve, reject) => {
    let settled = false;
    const cancel = timers.schedule(timeoutMs, () => {
      if (settled) return;
      settled = true;
      resolve({
        timedOut: true,
        pending: work.then(
          () => undefined,
          () => undefined,
        ),
      });
    });
    work.then(
      (value) => {
        if (settled) return;
        settled = true;
        cancel();
        resolve({ timedOut: false, value });
      },
      (err: unknown) => {
        if (settled) return;
        settled = true;
        cancel();
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passes the work's own rejection on unchanged
        reject(err);
      },
    );
  });
}
