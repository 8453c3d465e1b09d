/**
 * Timestamped load for end-to-end tests: concurrent GET loops until told to stop, each request kept
 * with when it was sent and answered, so a test can place failures on a timeline (a rollout, a kill).
 * (`load.ts`'s `Load` is the other kind: loops per URL, bounded in count.)
 */

/** One request of a load run: when it was sent (`t0`) and answered (`t1`), its status, and who answered. */
export interface LoadSample {
  t0: number;
  t1: number;
  status: number;
  /** `pod` of a JSON answer (the example components name the pod that served). */
  pod?: string;
  /** `ready` of a JSON answer (probe-demo says whether it considered itself ready). */
  ready?: boolean;
}

/**
 * Sends GETs from `workers` concurrent loops over `urls` (round-robin) until `stop()` returns true,
 * timestamping each one into `out`. A request that fails outright is recorded with status 0.
 */
export async function runLoad(
  urls: readonly string[],
  workers: number,
  stop: () => boolean,
  out: LoadSample[],
): Promise<void> {
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let i = w; !stop(); i++) {
        const t0 = Date.now();
        try {
          // 20 s: on a loaded machine an answer can take seconds; only a request never answered is a failure.
          const res = await fetch(urls[i % urls.length]!, { signal: AbortSignal.timeout(20_000) });
          const text = await res.text();
          const s: LoadSample = { t0, t1: Date.now(), status: res.status };
          try {
            const body = JSON.parse(text) as { pod?: unknown; ready?: unknown };
            if (typeof body.pod === 'string') s.pod = body.pod;
            if (typeof body.ready === 'boolean') s.ready = body.ready;
          } catch {
            // not JSON (an error text from the proxy): its status says enough
          }
          out.push(s);
        } catch {
          out.push({ t0, t1: Date.now(), status: 0 });
        }
      }
    }),
  );
}
