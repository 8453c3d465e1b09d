/**
 * Mesh revocation with real processes over real TLS: a real hub and two edge-node agents. Node B's
 * certificate reaches a Service endpoint on node A's mesh port; once B's Node is deleted, the hub
 * pushes B's revoked key to A (`revokedKeys`), and A refuses B's certificate (still unexpired and
 * signed by the cluster CA) on its mesh port. Also: a TLS node is never sent the mesh token.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../src/api/index.js';
import { MESH_PORT_HEADER, MESH_TARGET_HEADER } from '../src/edge-node/mesh/index.js';
import { Cluster, ROOT, kind, until } from './support/cluster.js';
import { wasmServiceManifest } from './support/manifests.js';

const A = { name: 'rv-a', address: '127.0.24.2' };
const B = { name: 'rv-b', address: '127.0.24.3' };
const HELLO = join(ROOT, 'examples/wasm-apps/hello/dist/hello.wasm');

interface PodLike extends KubeObject {
  metadata: { name: string };
  spec: { nodeName?: string };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

/** Every file under `dir` (the node's data dir), for a search of its contents. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

describe('a deleted node’s certificate on another node’s mesh port', () => {
  const cluster = new Cluster(['--heartbeat-interval', '500ms']);
  let pod = '';

  /** One request to A's mesh port for the hello pod's Service endpoint, with B's credential. */
  const meshCall = (): Promise<{ status: number; body: string }> => {
    const b = cluster.node(B.name);
    return new Promise((resolve, reject) => {
      httpsRequest(
        {
          host: A.address,
          port: cluster.node(A.name).meshPort,
          path: '/',
          agent: false,
          ca: cluster.caPem,
          key: readFileSync(join(b.dataDir, 'pki', 'node.key')),
          cert: readFileSync(join(b.dataDir, 'pki', 'node.crt')),
          checkServerIdentity: () => undefined,
          headers: { [MESH_TARGET_HEADER]: `default/${pod}`, [MESH_PORT_HEADER]: '8080' },
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      )
        .on('error', reject)
        .end();
    });
  };

  beforeAll(async () => {
    await cluster.start([A, B]);
    const r = await cluster.edgectl(
      ['apply', '-f', '-'],
      wasmServiceManifest({
        name: 'rv-hello',
        image: HELLO,
        replicas: 1,
        nodePort: 30491,
        pod: { nodeSelector: { 'kubernetes.io/hostname': A.name } },
      }),
    );
    expect(r.code, r.stderr).toBe(0);
    pod = await until(
      'the hello pod Ready on node A',
      async () => {
        const pods = await cluster.client.list<PodLike>(kind('pods'), { namespace: 'default' });
        const p = pods.items.find(
          (x) =>
            x.spec.nodeName === A.name &&
            (x.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false),
        );
        return p?.metadata.name;
      },
      60_000,
    );
  }, 120_000);

  afterAll(async () => {
    await cluster.stop();
  });

  it('is accepted while B is a node of the cluster, refused once B is deleted though it has not expired', async () => {
    const before = await until(
      'A to serve its Service endpoint to B over the mesh',
      async () => {
        const res = await meshCall();
        return res.status === 200 ? res : undefined;
      },
      30_000,
    );
    expect(before.body).toContain('rv-hello');

    const del = await cluster.edgectl(['delete', 'node', B.name]);
    expect(del.code, del.stderr).toBe(0);
    const refused = await until(
      'A to refuse B’s certificate',
      async () => {
        const res = await meshCall();
        return res.status === 403 ? res : undefined;
      },
      20_000,
    );
    expect(refused.body).toMatch(/certificate of node rv-b is revoked/);
    // Still a certificate the CA signed and that has not expired: only the revocation refuses it.
    const cert = new X509Certificate(readFileSync(join(cluster.node(B.name).dataDir, 'pki', 'node.crt')));
    expect(Date.parse(cert.validTo)).toBeGreaterThan(Date.now());

    // The list lives in the store, bounded by the certificates' lifetime.
    const cm = await cluster.client.get<KubeObject & { data?: Record<string, string> }>(
      kind('configmaps'),
      'kube-system',
      'edgeplane-revoked-node-keys',
    );
    expect(cm.data?.keys).toMatch(/^[0-9a-f]{64} \d{4}-\d\d-\d\dT/m);
  });

  it('never sent the mesh token to a TLS node: it is nowhere in A’s data dir', () => {
    const token = readFileSync(join(cluster.hubDir, 'mesh.token'), 'utf8').trim();
    expect(token.length).toBeGreaterThan(16);
    for (const f of filesUnder(cluster.node(A.name).dataDir)) expect(readFileSync(f).includes(token), f).toBe(false);
  });
});
