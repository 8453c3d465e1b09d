/**
 * The mesh over mTLS while node certificates rotate every few seconds (issue 13): a real TLS hub
 * issuing node certificates of 6 s (renewed at two thirds, about every 4 s), two real nodes, a Wasm
 * pod on one and steady load through a NodePort on the other — every request crosses the mesh, over
 * connections of both nodes' certificates, while both rotate several times. Zero failed requests;
 * each rotation is a new certificate on disk, which the node hands its mesh (`setTlsMaterial`).
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubImageRef, type KubeObject } from '../src/api/index.js';
import { certificateInfo } from '../src/pki/index.js';
import { Cluster, ROOT, kind, until } from './support/cluster.js';
import { Load } from './support/load.js';
import { wasmServiceManifest } from './support/manifests.js';

const HELLO = join(ROOT, 'examples/wasm-apps/hello/dist/hello.wasm');
const FRONT = { name: 'rot-a', address: '127.0.25.2', labels: { role: 'front' } };
const BACK = { name: 'rot-b', address: '127.0.25.3', labels: { role: 'back' } };
const NODE_PORT = 30917;

const cluster = new Cluster(['--node-cert-lifetime', '6s']);

/** The serial of the certificate node `name` holds on disk now. */
const serialOf = (name: string): string =>
  certificateInfo(readFileSync(join(cluster.node(name).dataDir, 'pki', 'node.crt'), 'utf8')).serial;

beforeAll(async () => {
  await cluster.start([FRONT, BACK]);
}, 120_000);

afterAll(async () => {
  await cluster.stop();
});

describe('the mesh while node certificates rotate', () => {
  it('serves NodePort traffic across nodes through several rotations of both nodes with zero failures', async () => {
    const blob = await cluster.client.uploadBlob(HELLO);
    const [deployment, service] = wasmServiceManifest({
      name: 'rot-hello',
      image: hubImageRef('hello.wasm', blob.digest),
      replicas: 1,
      nodePort: NODE_PORT,
      pod: { nodeSelector: { role: 'back' } },
    })
      .split('\n---\n')
      .map((d) => JSON.parse(d) as KubeObject);
    await cluster.client.create(kind('deployments'), deployment!, { namespace: 'default' });
    await cluster.client.create(kind('services'), service!, { namespace: 'default' });
    // Through the front node's NodePort: the only endpoint is on the back node, so every request is a mesh hop.
    const target = `http://${FRONT.address}:${NODE_PORT}/`;
    await until(
      'the pod to answer through the front node',
      async () => (await fetch(target, { signal: AbortSignal.timeout(2000) }).catch(() => undefined))?.ok === true,
      90_000,
      200,
    );
    const seen = { [FRONT.name]: new Set([serialOf(FRONT.name)]), [BACK.name]: new Set([serialOf(BACK.name)]) };
    const load = new Load([target], { concurrency: 4 });
    try {
      await until(
        'three rotations of each node certificate',
        () => {
          for (const n of [FRONT.name, BACK.name]) seen[n]!.add(serialOf(n));
          return seen[FRONT.name]!.size >= 4 && seen[BACK.name]!.size >= 4;
        },
        60_000,
        200,
      );
      await load.completed(20);
    } finally {
      await load.stop();
    }
    expect(load.records.length).toBeGreaterThan(100);
    expect(load.failures).toEqual([]);
    // And after the last rotation a new connection still crosses (the old certificates have expired).
    expect((await fetch(target)).status).toBe(200);
    // The back node's mesh server presents the certificate the node holds now (its mesh followed the
    // rotations), to a client presenting the front node's current one.
    const pki = (n: string, f: string): string => readFileSync(join(cluster.node(n).dataDir, 'pki', f), 'utf8');
    await until(
      "the back node's mesh to present its current certificate",
      () =>
        new Promise<boolean>((resolve, reject) => {
          const want = serialOf(BACK.name);
          const s = connect(
            {
              host: BACK.address,
              port: cluster.node(BACK.name).meshPort,
              ca: cluster.caPem,
              key: pki(FRONT.name, 'node.key'),
              cert: pki(FRONT.name, 'node.crt'),
              checkServerIdentity: () => undefined,
            },
            () => {
              resolve(s.getPeerCertificate().serialNumber.toLowerCase() === want);
              s.destroy();
            },
          ).on('error', reject);
        }),
      15_000,
      100,
    );
  }, 150_000);
});
