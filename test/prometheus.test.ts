/**
 * The scrape configuration of docs/metrics.md against a real Prometheus server (Debian's package):
 * it scrapes a real hub's `/metrics` and a real node's metrics through the hub's proxy path, over TLS
 * with the hub's CA and a bearer token file, while hello-c serves traffic through a NodePort; a PromQL
 * query then returns a per-pod request rate above zero.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, Proc, ROOT, freePort, httpGet, runLoad, until, type LoadSample } from './support/cluster.js';
import { wasmServiceManifest } from './support/manifests.js';

const PROMETHEUS = '/usr/bin/prometheus';
const NODE = { name: 'prom-a', address: '127.0.26.2' };
const NODE_PORT = 30171;
const HELLO_C = join(ROOT, 'examples/wasm-apps/hello-c/dist/hello-c.wasm');

/** docs/metrics.md's two jobs, with the hub at `hub` and one node listed statically. */
function scrapeConfig(hub: string, caFile: string, tokenFile: string): string {
  const common = `    scheme: https
    tls_config: {ca_file: ${caFile}}
    authorization: {credentials_file: ${tokenFile}}`;
  return `global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: edgeplane-hub
${common}
    static_configs: [{targets: ["${hub}"]}]
  - job_name: edgeplane-nodes
${common}
    static_configs: [{targets: ["${NODE.name}"]}]
    relabel_configs:
      - source_labels: [__address__]
        target_label: node
      - source_labels: [__address__]
        target_label: __metrics_path__
        replacement: /api/v1/nodes/\${1}/proxy/metrics
      - target_label: __address__
        replacement: ${hub}
`;
}

/** One series of an instant vector. */
interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

interface Vector {
  status: string;
  data?: { result: Sample[] };
}

describe.skipIf(!existsSync(PROMETHEUS))('a real Prometheus scraping the hub and a node', () => {
  const cluster = new Cluster([], ['--metrics-interval', '1s']);
  const dir = mkdtempSync(join(tmpdir(), 'edge-prometheus-'));
  let prometheus: Proc | undefined;
  let api = '';
  let stopLoad = false;
  let load: Promise<void> | undefined;
  const samples: LoadSample[] = [];

  const query = async (promql: string): Promise<Sample[]> => {
    const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as Vector;
    return body.status === 'success' ? (body.data?.result ?? []) : [];
  };

  beforeAll(async () => {
    await cluster.start([NODE]);
    const manifest = wasmServiceManifest({ name: 'promweb', image: HELLO_C, replicas: 1, nodePort: NODE_PORT });
    const r = await cluster.edgectl(['apply', '-f', '-'], manifest);
    expect(r.code, r.stderr).toBe(0);
    const url = `http://${NODE.address}:${NODE_PORT}/`;
    await until('the NodePort to answer', async () => (await httpGet(url)).status === 200, 60_000);
    load = runLoad([url], 2, () => stopLoad, samples);

    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, cluster.adminToken, { mode: 0o600 });
    const configFile = join(dir, 'prometheus.yml');
    writeFileSync(configFile, scrapeConfig(new URL(cluster.url).host, cluster.caFile, tokenFile));
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    prometheus = new Proc(
      spawn(
        PROMETHEUS,
        [
          `--config.file=${configFile}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--log.level=warn',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    );
    await until('Prometheus to be ready', async () => (await httpGet(`${api}/-/ready`)).status === 200, 30_000);
  }, 180_000);

  afterAll(async () => {
    stopLoad = true;
    await load;
    await prometheus?.kill('SIGKILL');
    if (prometheus && prometheus.err.trim() !== '') console.log(`prometheus stderr:\n${prometheus.err.slice(-2000)}`);
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('scrapes the hub and the node (through the hub) with the CA and the token file', async () => {
    const up = await until(
      'both jobs up',
      async () => {
        const r = await query('up');
        return r.length === 2 && r.every((s) => s.value[1] === '1') ? r : undefined;
      },
      60_000,
      500,
    );
    expect(up.map((s) => s.metric.job).sort()).toEqual(['edgeplane-hub', 'edgeplane-nodes']);
    expect(up.find((s) => s.metric.job === 'edgeplane-nodes')?.metric.node).toBe(NODE.name);
    const hub = await query('sum(apiserver_request_total)');
    expect(Number(hub[0]?.value[1])).toBeGreaterThan(0);
  });

  it('answers the per-pod request rate', async () => {
    const rate = await until(
      'a per-pod request rate above zero',
      async () => {
        const r = await query('sum by (namespace, pod) (rate(edgeplane_pod_http_requests_total[10s]))');
        return r.find((s) => s.metric.pod?.startsWith('promweb-') && Number(s.value[1]) > 0);
      },
      60_000,
      500,
    );
    expect(rate.metric.namespace).toBe('default');
    expect(samples.filter((s) => s.status === 200).length).toBeGreaterThan(0);
  });
});
