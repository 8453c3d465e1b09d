/**
 * The shared setup of the hub-level metrics tests (node-metrics, node-metrics-access, scrape-targets):
 * a real hub over ws:// in a temporary data dir whose `tokens.json` adds a viewer, a metrics-server
 * reader and a Prometheus scraper, for the file's tests; and what the tests do with it: HTTP reads
 * and writes as a user, pods created through the API, and `usage` frames about them.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { typeByKind } from '../../../api/index.js';
import type { NodeUsage, Pod } from '../../../api/index.js';
import { Hub } from '../../hub.js';

export const POD = typeByKind('v1', 'Pod')!;
export const M = '/apis/metrics.k8s.io/v1beta1';
export const VIEWER = 'viewer-token-0123456789abcdef';
/** A user bound to metrics-server's reader role only, and one bound to the scrape role of docs/metrics.md. */
export const METRICS_READER = 'metrics-reader-token-0123456789';
export const SCRAPER = 'prometheus-token-0123456789abcd';

/** One pod's line of a {@link MetricsHub.usage} frame (`uid` defaults to the one `createPod` got). */
export interface PodUsage {
  name: string;
  ns?: string;
  uid?: string;
  cpu: number;
  mem: number;
  requests?: number;
}

/** What {@link metricsHub} gives a test file (`hub`, `url` and `joinToken` set before its tests). */
export interface MetricsHub {
  readonly hub: Hub;
  readonly url: string;
  readonly joinToken: string;
  /** A GET as the user of `token` (the admin by default); `body` is the JSON, if it is JSON. */
  readonly get: (p: string, token?: string) => Promise<{ status: number; body: unknown; text: string }>;
  /** A POST of `body` as JSON, as the user of `token` (the admin by default). */
  readonly post: (p: string, body: unknown, token?: string) => Promise<{ status: number; text: string }>;
  /** A node's `usage` frame about these pods. */
  readonly usage: (pods: PodUsage[]) => NodeUsage;
  /** Creates a pod bound to `node` (unbound, for the scheduler, when '') and remembers its uid. */
  readonly createPod: (name: string, node: string, labels?: Record<string, string>) => Promise<void>;
}

/** Registers the file's set-up (the hub started) and tear-down (stopped, its data dir removed). */
export function metricsHub(): MetricsHub {
  let dir: string;
  let hub: Hub;
  let url: string;
  let joinToken: string;
  const uids = new Map<string, string>();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'node-metrics-'));
    await writeFile(
      path.join(dir, 'tokens.json'),
      JSON.stringify({
        users: [
          { name: 'viewer', token: VIEWER, role: 'read-only' },
          { name: 'metrics-reader', token: METRICS_READER, groups: ['metrics-readers'] },
          { name: 'prometheus', token: SCRAPER, groups: ['scrapers'] },
        ],
      }),
      { mode: 0o600 },
    );
    hub = await Hub.create({
      dataDir: dir,
      host: '127.0.0.1',
      port: 0,
      insecureHttp: true,
      logger: pino({ level: 'silent' }),
    });
    url = (await hub.start()).url;
    joinToken = hub.auth.joinToken;
  });

  afterAll(async () => {
    await hub.stop();
    await rm(dir, { recursive: true, force: true });
  });

  return {
    get hub() {
      return hub;
    },
    get url() {
      return url;
    },
    get joinToken() {
      return joinToken;
    },
    get: async (p, token = hub.auth.adminToken) => {
      const res = await fetch(url + p, { headers: { authorization: `Bearer ${token}` } });
      const text = await res.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { status: res.status, body, text };
    },
    post: async (p, body, token = hub.auth.adminToken) => {
      const res = await fetch(url + p, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, text: await res.text() };
    },
    usage: (pods) => ({
      type: 'usage',
      timestamp: '2026-12-02T15:00:05Z',
      windowSeconds: 5,
      node: { cpuNanoCores: 1_500_000_000, memoryBytes: 512 * 1024 * 1024 },
      pods: pods.map((p) => ({
        pod: { namespace: p.ns ?? 'default', name: p.name, uid: p.uid ?? uids.get(p.name) ?? 'none' },
        containers: [{ name: 'c', cpuNanoCores: p.cpu, memoryBytes: p.mem }],
        ...(p.requests !== undefined
          ? { http: { requests: p.requests, errors4xx: 0, errors5xx: 1, latencyMsSum: p.requests * 2 } }
          : {}),
      })),
    }),
    createPod: async (name, node, labels = {}) => {
      const pod: Pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'default', labels },
        spec: { ...(node ? { nodeName: node } : {}), containers: [{ name: 'c', image: 'x.wasm' }] },
      };
      const made = await hub.api.create<Pod>(POD, pod);
      uids.set(name, made.metadata.uid ?? '');
    },
  };
}
