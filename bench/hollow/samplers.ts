/**
 * What the driver samples while a scenario runs: the hub's CPU and RSS from `/proc/<pid>`, its
 * longest event-loop block (from `/metrics` when the hub has `nodejs_eventloop_lag_max_seconds`,
 * else the longest `/healthz` round trip sampled every 20 ms, labelled so), and API latency of a
 * single-object GET, a LIST with a selector and a write.
 */
import { readFile } from 'node:fs/promises';
import type { HubHttp } from './hub-http.js';

const CLK_TCK = 100;

async function procSample(pid: number): Promise<{ cpuSeconds: number; rssBytes: number } | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { cpuSeconds, rssBytes: rssKb * 1024 };
  } catch {
    return undefined; // the process is gone (killed in a storm)
  }
}

/** CPU and RSS of one process over a window. */
export interface ProcWindow {
  /** Mean CPU over the window, in % of one core. */
  avgCpuPct: number;
  /** Highest CPU over any 1 s of the window, % of one core. */
  peakCpuPct: number;
  peakRssMb: number;
  lastRssMb: number;
}

/** Samples a process every 500 ms (the pid may change: a restarted hub). */
export class ProcSampler {
  #timer: NodeJS.Timeout | undefined;
  #samples: Array<{ t: number; cpu: number; rss: number; pid: number }> = [];

  constructor(private readonly pid: () => number | undefined) {}

  start(): void {
    this.#samples = [];
    const tick = async (): Promise<void> => {
      const pid = this.pid();
      const s = pid === undefined ? undefined : await procSample(pid);
      if (s && pid !== undefined) this.#samples.push({ t: Date.now(), cpu: s.cpuSeconds, rss: s.rssBytes, pid });
    };
    void tick();
    this.#timer = setInterval(() => void tick(), 500);
  }

  /** Stops and summarizes the window. */
  stop(): ProcWindow {
    clearInterval(this.#timer);
    const s = this.#samples;
    let cpuSum = 0;
    let tSum = 0;
    let peak = 0;
    for (let i = 1; i < s.length; i++) {
      const a = s[i - 1]!;
      const b = s[i]!;
      if (a.pid !== b.pid) continue; // a restart resets the counters
      const dt = (b.t - a.t) / 1000;
      const dc = b.cpu - a.cpu;
      cpuSum += dc;
      tSum += dt;
      // Over ~1 s: two intervals.
      const c = s[i - 2];
      if (c && c.pid === b.pid) peak = Math.max(peak, ((b.cpu - c.cpu) / ((b.t - c.t) / 1000)) * 100);
    }
    const mb = (bytes: number): number => bytes / 1048576;
    return {
      avgCpuPct: tSum > 0 ? (cpuSum / tSum) * 100 : 0,
      peakCpuPct: peak,
      peakRssMb: mb(Math.max(0, ...s.map((x) => x.rss))),
      lastRssMb: mb(s.at(-1)?.rss ?? 0),
    };
  }
}

/** The longest event-loop block seen in a window, and how it was measured. */
export interface LoopWindow {
  maxBlockMs: number;
  source: 'metrics' | 'healthz-rtt';
}

/** Watches the hub's event loop: `/metrics` when the hub has it, else `/healthz` round trips. */
export class LoopSampler {
  #stopped = true;
  #max = 0;
  #source: LoopWindow['source'] = 'healthz-rtt';
  #done: Promise<void> = Promise.resolve();

  constructor(private readonly http: () => HubHttp) {}

  start(): void {
    this.#stopped = false;
    this.#max = 0;
    this.#done = this.#run();
  }

  async stop(): Promise<LoopWindow> {
    this.#stopped = true;
    await this.#done;
    return { maxBlockMs: this.#max, source: this.#source };
  }

  async #run(): Promise<void> {
    const metrics = await this.http()
      .call('GET', '/metrics', { timeoutMs: 10_000 })
      .catch(() => undefined);
    this.#source =
      metrics?.status === 200 && /nodejs_eventloop_lag_max_seconds/.test(metrics.body) ? 'metrics' : 'healthz-rtt';
    while (!this.#stopped) {
      try {
        if (this.#source === 'metrics') {
          const r = await this.http().call('GET', '/metrics', { timeoutMs: 60_000 });
          const m = /^nodejs_eventloop_lag_max_seconds(?:\{[^}]*\})?\s+([0-9.eE+-]+)/m.exec(r.body);
          if (m?.[1]) this.#max = Math.max(this.#max, Number(m[1]) * 1000);
          await sleepUnless(() => this.#stopped, 1000);
        } else {
          const r = await this.http().call('GET', '/healthz', { auth: false, timeoutMs: 600_000 });
          this.#max = Math.max(this.#max, r.ms);
          await sleepUnless(() => this.#stopped, 20);
        }
      } catch {
        await sleepUnless(() => this.#stopped, 200); // the hub is down (a storm): nothing to measure
      }
    }
  }
}

/** Waits `ms`, or less once `stop()` is true (checked every 50 ms): a sampling period, not a test wait. */
async function sleepUnless(stop: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!stop() && Date.now() < end) await new Promise((r) => setTimeout(r, Math.min(50, end - Date.now())));
}

/** p50 and p99 (ms) of a sample, and how many. */
export interface Percentiles {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export function percentiles(xs: number[]): Percentiles {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number): number => (s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]! : NaN);
  return { n: s.length, p50: at(0.5), p99: at(0.99), max: s.at(-1) ?? NaN };
}

/** The three API calls whose latency is sampled, as path builders over a namespace. */
export interface ApiProbes {
  /** A single-object GET. */
  get: string;
  /** A LIST with a selector. */
  list: string;
  /** A write: merge-patches this object with a changing annotation. */
  patch: string;
}

/** Issues the three calls in turn, one after another, with ~100 ms between rounds; records latencies. */
export class ApiSampler {
  readonly get: number[] = [];
  readonly list: number[] = [];
  readonly write: number[] = [];
  errors = 0;
  #stopped = true;
  #done: Promise<void> = Promise.resolve();

  constructor(
    private readonly http: () => HubHttp,
    private readonly probes: ApiProbes,
  ) {}

  start(): void {
    this.#stopped = false;
    this.#done = this.#run();
  }

  async stop(): Promise<{ get: Percentiles; list: Percentiles; write: Percentiles; errors: number }> {
    this.#stopped = true;
    await this.#done;
    return {
      get: percentiles(this.get),
      list: percentiles(this.list),
      write: percentiles(this.write),
      errors: this.errors,
    };
  }

  async #run(): Promise<void> {
    let i = 0;
    while (!this.#stopped) {
      const h = this.http();
      await this.#one(this.get, () => h.call('GET', this.probes.get));
      await this.#one(this.list, () => h.call('GET', this.probes.list));
      await this.#one(this.write, () =>
        h.call('PATCH', this.probes.patch, {
          body: { metadata: { annotations: { 'fleet.edgeplane.io/probe': String(i++) } } },
          contentType: 'application/merge-patch+json',
        }),
      );
      await sleepUnless(() => this.#stopped, 100);
    }
  }

  async #one(into: number[], call: () => Promise<{ status: number; ms: number }>): Promise<void> {
    try {
      const r = await call();
      if (r.status >= 200 && r.status < 300) into.push(r.ms);
      else this.errors++;
    } catch {
      this.errors++;
    }
  }
}
