/** Requests paced at a steady rate, for tests that restart something while a workload must keep answering. */
import { httpGet, until } from './cluster.js';

/** GETs `url` every 100 ms (one at a time) until stopped; `answered(n)` waits for n more 200s. */
export function pacedGets(url: string): {
  answered(n: number): Promise<void>;
  stop(): Promise<{ ok: number; failed: string[] }>;
} {
  let ok = 0;
  const failed: string[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const t0 = Date.now();
      try {
        const r = await httpGet(url, 5_000);
        if (r.status === 200) ok += 1;
        else failed.push(`${new Date(t0).toISOString()} ${r.status}`);
      } catch (err) {
        failed.push(`${new Date(t0).toISOString()} ${String(err)}`);
      }
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - t0))));
    }
  })();
  return {
    answered: (n) => {
      const target = ok + n;
      return until(`${n} more answers from ${url}`, () => (ok >= target ? true : undefined), 20_000, 50).then(
        () => undefined,
      );
    },
    stop: async () => {
      stopped = true;
      await loop;
      return { ok, failed };
    },
  };
}
