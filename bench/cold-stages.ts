/**
 * Where a cold start's time goes (issue 16): the stages of one request woken from zero, lined up on
 * one clock (epoch ms on this machine) from what already tells the time:
 *  - the hub's watch streams, timed on arrival here (the bench's own watches): the ReplicaSet scaled,
 *    the pod created, bound, Ready at the hub, the Endpoints with an address;
 *  - the hub's and the nodes' debug trace points (pino's `time`), read from their stderr: the node
 *    holding the request, the hub taking the wake and writing the scale, the pod on its node, the
 *    container created (component compiled and instantiated) and started, the status sent, the held
 *    request released with its route.
 * The processes must run with `--log-level debug`. Watch arrival lags the write by the watch's
 * delivery (a millisecond or two on loopback), so adjacent stages of the two kinds may swap by that much.
 */
import type { Endpoints, KubeObject, Pod } from '../src/api/index.js';
import { type Cluster, WatchRecorder, kind } from '../test/support/cluster.js';

/** The stages, in path order. */
export const STAGES = [
  'held (node)',
  'wake (hub)',
  'scaled (hub)',
  'replicaset',
  'pod created',
  'pod bound',
  'on node',
  'container created',
  'container started',
  'status sent',
  'Ready at hub',
  'endpoints',
  'released (node)',
  'answered',
] as const;
export type Stage = (typeof STAGES)[number];

/** One trial's stage times, ms after the request was sent (absent: not seen). */
export type Timeline = Partial<Record<Stage, number>>;

interface LogLine {
  time: number;
  msg: string;
  /** Which process said it (set here). */
  from?: string;
  hpa?: string;
  service?: string;
  pod?: string;
  pods?: string[];
}

/** Reads the new lines of a process's stderr, as JSON log lines. */
class LogTail {
  #offset = 0;
  constructor(
    private readonly from: string,
    private readonly text: () => string,
  ) {}

  read(): LogLine[] {
    const all = this.text();
    const end = all.lastIndexOf('\n') + 1;
    const chunk = all.slice(this.#offset, end);
    this.#offset = end;
    const out: LogLine[] = [];
    for (const line of chunk.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const l = JSON.parse(line) as LogLine;
        if (typeof l.time === 'number' && typeof l.msg === 'string') out.push({ ...l, from: this.from });
      } catch {
        // not a log line
      }
    }
    return out;
  }
}

type Watched<T extends KubeObject> = WatchRecorder<T>;

/** The trace of one cluster's cold starts (see the file comment). */
export class ColdTrace {
  readonly #pods: Watched<Pod>;
  readonly #replicaSets: Watched<KubeObject & { spec: { replicas?: number } }>;
  readonly #endpoints: Watched<Endpoints>;
  readonly #logs: LogTail[];
  #lines: LogLine[] = [];

  constructor(private readonly cluster: Cluster) {
    const { client } = cluster;
    this.#pods = new WatchRecorder<Pod>(client, kind('pods'), { namespace: 'default' });
    this.#replicaSets = new WatchRecorder(client, kind('replicasets'), { namespace: 'default' });
    this.#endpoints = new WatchRecorder<Endpoints>(client, kind('endpoints'), { namespace: 'default' });
    this.#logs = [
      new LogTail('hub', () => cluster.hub?.err ?? ''),
      ...[...cluster.nodes.keys()].map((n) => new LogTail(n, () => cluster.node(n).proc.err)),
    ];
  }

  async stop(): Promise<void> {
    await Promise.all([this.#pods.stop(), this.#replicaSets.stop(), this.#endpoints.stop()]);
  }

  /** Whether the Endpoints of `app` with an address have arrived since `t0` (the watch may trail the answer). */
  endpointsSeen(app: string, t0: number): boolean {
    return this.#endpoints.events.some((e) => e.at >= t0 && e.object.metadata.name === app && hasAddress(e.object));
  }

  /** The stages of the request to `app` sent at `t0` (epoch ms) and answered at `t1`. */
  timeline(app: string, t0: number, t1: number): Timeline {
    // Only lines of this trial and after are kept: the last trial's tail is not read again.
    this.#lines = [...this.#lines.filter((l) => l.time >= t0 - 1000), ...this.#logs.flatMap((t) => t.read())];
    const svc = `default/${app}`;
    const tl: Timeline = { answered: t1 - t0 };
    const at = (stage: Stage, time: number | undefined): void => {
      if (time !== undefined) tl[stage] = time - t0;
    };
    const log = (msg: string, match: (l: LogLine) => boolean = (l) => l.service === svc): number | undefined =>
      this.#lines.find((l) => l.time >= t0 && l.msg === msg && match(l))?.time;
    at('held (node)', log('request held: waking the hub'));
    at('wake (hub)', log('scale from zero: wake'));
    at(
      'scaled (hub)',
      log('scale from zero: target scaled to 1', (l) => l.hpa === svc),
    );
    const after = <T extends KubeObject>(w: Watched<T>, ok: (o: T) => boolean): number | undefined =>
      w.events.find((e) => e.at >= t0 && ok(e.object))?.at;
    at(
      'replicaset',
      after(this.#replicaSets, (rs) => (rs.metadata.name ?? '').startsWith(`${app}-`) && (rs.spec.replicas ?? 0) > 0),
    );
    const added = this.#pods.events.find(
      (e) => e.at >= t0 && e.type === 'ADDED' && e.object.metadata.labels?.app === app,
    );
    if (added) {
      const name = added.object.metadata.name ?? '';
      const pod = `default/${name}`;
      at('pod created', added.at);
      at(
        'pod bound',
        after(this.#pods, (p) => p.metadata.name === name && p.spec.nodeName !== undefined),
      );
      at(
        'on node',
        log('pod assigned', (l) => l.pod === pod),
      );
      at(
        'container created',
        log('container created', (l) => l.pod === pod),
      );
      at(
        'container started',
        log('container started', (l) => l.pod === pod),
      );
      at(
        'status sent',
        log('pod status sent', (l) => l.pods?.includes(`${pod} Running ready`) === true),
      );
      at(
        'Ready at hub',
        after(this.#pods, (p) => p.metadata.name === name && podReady(p)),
      );
    }
    at(
      'endpoints',
      after(this.#endpoints, (e) => e.metadata.name === app && hasAddress(e)),
    );
    at('released (node)', log('held request released'));
    return tl;
  }

  /** The log lines of `t0`…`t1` (of the last trial read), as `+ms process: msg {fields}`, for a slow trial. */
  linesBetween(t0: number, t1: number): string[] {
    const skip = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'from']);
    return this.#lines
      .filter((l) => l.time >= t0 && l.time <= t1)
      .sort((a, b) => a.time - b.time)
      .map((l) => {
        const rest = Object.entries(l).filter(([k]) => !skip.has(k));
        return `+${l.time - t0} ${l.from ?? ''}: ${l.msg} ${JSON.stringify(Object.fromEntries(rest))}`;
      });
  }
}

const hasAddress = (e: Endpoints): boolean => (e.subsets ?? []).some((s) => (s.addresses?.length ?? 0) > 0);
const podReady = (p: Pod): boolean =>
  !p.metadata.deletionTimestamp && (p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false); // prettier-ignore

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

/**
 * The per-stage table of `trials`: for each stage, the step from the stage before it (p50, p99, max)
 * and when it was reached (p50 after the request was sent). A stage missing in a trial is skipped for it.
 */
export function stageTable(trials: readonly Timeline[]): string {
  const rows: string[] = ['  stage                  step p50   p99    max   | reached p50   (trials)'];
  for (const [i, stage] of STAGES.entries()) {
    const steps: number[] = [];
    const reached: number[] = [];
    for (const tl of trials) {
      const t = tl[stage];
      if (t === undefined) continue;
      reached.push(t);
      // The step from the latest earlier stage this trial saw (0: the request was sent).
      let prev = 0;
      for (const s of STAGES.slice(0, i)) prev = tl[s] ?? prev;
      steps.push(t - prev);
    }
    if (reached.length === 0) {
      rows.push(`  ${stage.padEnd(20)} (not seen)`);
      continue;
    }
    steps.sort((a, b) => a - b);
    reached.sort((a, b) => a - b);
    const f = (x: number): string => x.toFixed(0).padStart(6);
    rows.push(
      `  ${stage.padEnd(20)} ${f(percentile(steps, 0.5))} ${f(percentile(steps, 0.99))} ${f(steps.at(-1) ?? NaN)}   | ${f(percentile(reached, 0.5))}        (${reached.length})`,
    );
  }
  return rows.join('\n');
}

/** One trial's timeline on a line: `stage +step` for each stage seen. */
export function timelineLine(tl: Timeline): string {
  let prev = 0;
  const parts: string[] = [];
  for (const s of STAGES) {
    const t = tl[s];
    if (t === undefined) continue;
    parts.push(`${s} +${(t - prev).toFixed(0)}`);
    prev = t;
  }
  return parts.join(', ');
}
