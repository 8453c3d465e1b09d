/**
 * Steady HTTP load for end-to-end tests: a few concurrent loops of GETs against given URLs, each
 * request recorded (time, target, status, answering pod) so a test can say exactly what failed when.
 * Bounded in time and count; loopback only.
 */
export interface LoadRecord {
  at: number;
  url: string;
  status: number;
  pod?: string;
  error?: string;
  ms: number;
}

export class Load {
  readonly records: LoadRecord[] = [];
  private stopped = false;
  private readonly loops: Promise<void>[] = [];

  /** Starts `concurrency` loops per URL; each loop sends one request at a time, up to `maxRequests` in all. */
  constructor(urls: string[], opts: { concurrency?: number; maxRequests?: number; timeoutMs?: number } = {}) {
    const max = opts.maxRequests ?? 200_000;
    for (const url of urls) {
      for (let i = 0; i < (opts.concurrency ?? 2); i++) {
        this.loops.push(
          (async () => {
            while (!this.stopped && this.records.length < max) {
              const t0 = Date.now();
              try {
                const res = await fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000) });
                const body = await res.text();
                let pod: string | undefined;
                try {
                  pod = (JSON.parse(body) as { pod?: string }).pod;
                } catch {
                  pod = undefined;
                }
                this.records.push({
                  at: t0,
                  url,
                  status: res.status,
                  ms: Date.now() - t0,
                  ...(pod ? { pod } : {}),
                  ...(res.ok ? {} : { error: body.slice(0, 200) }),
                });
              } catch (err) {
                this.records.push({ at: t0, url, status: 0, ms: Date.now() - t0, error: String(err) });
                await new Promise((r) => setTimeout(r, 20));
              }
            }
          })(),
        );
      }
    }
  }

  /**
   * Resolves once `n` more requests have completed: what a test waits on to have traffic before and
   * after a change, instead of sleeping a fixed time and hoping requests happened meanwhile.
   */
  async completed(n: number, timeoutMs = 30_000): Promise<void> {
    const target = this.records.length + n;
    const end = Date.now() + timeoutMs;
    while (this.records.length < target) {
      if (this.stopped || Date.now() > end)
        throw new Error(`load: ${target - this.records.length} of ${n} requests still pending after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Stops the loops and waits for in-flight requests. */
  async stop(): Promise<LoadRecord[]> {
    this.stopped = true;
    await Promise.all(this.loops);
    return this.records;
  }

  get failures(): LoadRecord[] {
    return this.records.filter((r) => r.status !== 200);
  }
}
