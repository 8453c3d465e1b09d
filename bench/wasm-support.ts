/**
 * Helpers shared by the bench/wasm-*.ts benchmarks (not a benchmark itself): the load generator,
 * a plain node:http hello server in a process of its own, manifests, and small statistics.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Cluster, ROOT, freePort, until, kind } from '../test/support/cluster.js';
import type { Pod } from '../src/api/index.js';

export { Cluster, ROOT, freePort, until };

/** `--name value` from argv, as a number. */
export function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

/** Paths of the example components. */
export const WASM = {
  hello: join(ROOT, 'examples/wasm-apps/hello/dist/hello.wasm'),
  helloC: join(ROOT, 'examples/wasm-apps/hello-c/dist/hello-c.wasm'),
  misbehave: join(ROOT, 'examples/wasm-apps/misbehave/dist/misbehave.wasm'),
};

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/**
 * autocannon against `url` (keep-alive, no pipelining). Latency percentiles are computed here from
 * every 2xx response's time (autocannon's own histogram has 1 ms resolution, too coarse next to a
 * plain server answering in well under a millisecond).
 */
export async function load(url: string, connections: number, seconds: number): Promise<LoadResult> {
  const times: number[] = [];
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ url, connections, duration: seconds, pipelining: 1 }, (err, result) =>
      err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(result),
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status >= 200 && status < 300) times.push(ms);
    });
  });
  return {
    rps: r.requests.average,
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

export const fmt = (r: LoadResult): string =>
  `${r.rps.toFixed(0).padStart(7)} req/s   p50 ${r.p50.toFixed(3).padStart(7)} ms   p99 ${r.p99.toFixed(3).padStart(7)} ms   errors ${r.errors + r.non2xx}`;

/** A plain node:http hello server (the same JSON answer) in a process of its own, like the agent. */
export async function startPlainServer(): Promise<{ url: string; stop(): void }> {
  const port = await freePort();
  const code = `
    const body = JSON.stringify({ message: 'hello from Edgeplane', pod: 'plain', node: 'plain' }) + '\\n';
    require('node:http').createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body))
      .listen(${port}, '127.0.0.1', () => console.log('ready'));`;
  const child: ChildProcess = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
  return { url: `http://127.0.0.1:${port}/`, stop: () => void child.kill('SIGKILL') };
}

/** A Deployment of `image` with POD_NAME/NODE_NAME and, when `nodePort` is set, its NodePort Service. */
export function deployment(name: string, image: string, replicas: number, nodePort?: number, extra = ''): string {
  const svc =
    nodePort === undefined
      ? ''
      : `
---
apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec:
  type: NodePort
  selector: {app: ${name}}
  ports: [{port: 80, targetPort: 8080, nodePort: ${nodePort}}]
`;
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      runtimeClassName: wasm
      containers:
      - name: app
        image: ${image}
        ports: [{containerPort: 8080}]
        env:
        - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
        - {name: NODE_NAME, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}${extra}
${svc}`;
}

/** Pods of `app` that are Ready. */
export async function readyPods(cluster: Cluster, app: string): Promise<number> {
  const pods = await cluster.client.list<Pod>(kind('pods'), { namespace: 'default', labelSelector: `app=${app}` });
  return pods.items.filter(
    (p) =>
      !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  ).length;
}

/** Applies a manifest with edgectl (which uploads the .wasm) and waits for `replicas` Ready pods. */
export async function applyAndWait(
  cluster: Cluster,
  manifest: string,
  app: string,
  replicas: number,
  timeoutMs = 600_000,
): Promise<void> {
  const r = await cluster.edgectl(['apply', '-f', '-'], manifest);
  if (r.code !== 0) throw new Error(`apply failed: ${r.stderr}`);
  await until(`${replicas} ${app} Ready`, async () => (await readyPods(cluster, app)) >= replicas, timeoutMs, 100);
}

/** Resident set size of a process, in bytes (Linux). */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** The p-th percentile of `values` (sorted copy). */
export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

/** Runs `main`, exiting 0 or printing the error and exiting 1. */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
