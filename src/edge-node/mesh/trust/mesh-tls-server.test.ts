/**
 * The receiving end of a mesh hop over mutual TLS, with real certificates (issued with `src/pki` as
 * the hub issues them), a real mesh server and real sockets: whom it accepts at the handshake and at
 * the request, and that a node of the cluster is still held to the Service-endpoint rule.
 * Shared setup: testing/mesh-tls-suite.ts.
 */
import { request as httpsRequest } from 'node:https';
import { describe, expect, it } from 'vitest';
import { MESH_ERROR_HEADER, MESH_PORT_HEADER, MESH_TARGET_HEADER } from '../protocol.js';
import type { MeshTlsMaterial } from './tls-material.js';
import { TestPki } from './testing/test-pki.js';
import { RIG_POD } from './testing/mesh-hop-rig.js';
import { meshTlsSuite } from './testing/mesh-tls-suite.js';

const rig = meshTlsSuite();
const { refusals } = rig;

/** One request straight to the receiving node's mesh server, presenting `client` (or no certificate). */
function meshRequest(
  client: MeshTlsMaterial | undefined,
  port = rig.receiver.port,
): Promise<{ status: number; body: string; meshError: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/hello',
        agent: false,
        ca: rig.pki.ca.certPem,
        ...(client ? { key: client.keyPem, cert: client.certPem } : {}),
        // The receiving node is reached at an address its certificate does not list.
        checkServerIdentity: () => undefined,
        headers: { [MESH_TARGET_HEADER]: `${RIG_POD.namespace}/${RIG_POD.name}`, [MESH_PORT_HEADER]: RIG_POD.port },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body,
            meshError: res.headers[MESH_ERROR_HEADER] as string | undefined,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('the mesh server over mTLS', () => {
  it('accepts a node certificate of the cluster and delivers to the Service endpoint', async () => {
    const before = rig.upstream.hits;
    const res = await meshRequest(await rig.pki.node('node-c'));
    expect(res).toMatchObject({ status: 200, body: 'reached /hello' });
    expect(rig.upstream.hits).toBe(before + 1);
  });

  it.each([
    ['no client certificate', () => Promise.resolve(undefined), /CERTIFICATE/],
    [
      'a node certificate of another CA',
      async () => (await TestPki.create('another-ca')).node('node-c'),
      /UNABLE_TO_VERIFY|ISSUER/,
    ],
    [
      'an expired node certificate',
      () => rig.pki.node('node-c', { now: new Date(Date.now() - 2 * 3600_000), lifetimeSeconds: 3600 }),
      /CERT_HAS_EXPIRED/,
    ],
  ])('refuses %s at the handshake, before any request', async (_what, material, why) => {
    const before = rig.upstream.hits;
    const client = await material();
    const refusedBefore = refusals.length;
    await expect(meshRequest(client)).rejects.toMatchObject({
      code: expect.stringMatching(/^ERR_SSL_|^ECONNRESET$|^EPIPE$/) as unknown,
    });
    expect(rig.upstream.hits).toBe(before);
    await expect.poll(() => refusals.length).toBe(refusedBefore + 1);
    expect(refusals.at(-1)).toMatch(why);
  });

  it.each([
    [
      'a user certificate (O not system:nodes)',
      { commonName: 'alice', organizations: ['dev'] },
      /"alice" is not a node's/,
    ],
    [
      'a node-shaped CN outside group system:nodes',
      { commonName: 'system:node:node-c', organizations: ['dev'] },
      /not in group O=system:nodes/,
    ],
    ['the group without a node CN', { commonName: 'mallory', organizations: ['system:nodes'] }, /is not a node's/],
  ])('answers %s with 403 naming why', async (_what, subject, why) => {
    const before = rig.upstream.hits;
    const res = await meshRequest(await rig.pki.issue({ ...subject, usages: ['client'] }));
    expect(res.status).toBe(403);
    expect(res.body).toMatch(why);
    expect(res.meshError).toBeUndefined();
    expect(rig.upstream.hits).toBe(before);
  });

  it('refuses a node certificate made only for serving as a client', async () => {
    const serverOnly = await rig.pki.node('node-c', { usages: ['server'] });
    const outcome = await meshRequest(serverOnly).then(
      (res) => res.status,
      (err: NodeJS.ErrnoException) => err.code,
    );
    expect(outcome === 403 || outcome === 'ECONNRESET' || String(outcome).startsWith('ERR_SSL_')).toBe(true);
    if (outcome !== 403) await expect.poll(() => refusals.at(-1)).toMatch(/PURPOSE/);
  });

  it('keeps its Service-endpoint rule: another pod or port is 403/404 for a node of the cluster too', async () => {
    const client = await rig.pki.node('node-c');
    const res = await new Promise<number>((resolve, reject) => {
      httpsRequest(
        {
          host: '127.0.0.1',
          port: rig.receiver.port,
          agent: false,
          ca: rig.pki.ca.certPem,
          key: client.keyPem,
          cert: client.certPem,
          checkServerIdentity: () => undefined,
          headers: { [MESH_TARGET_HEADER]: 'default/web', [MESH_PORT_HEADER]: '22' },
        },
        (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        },
      )
        .on('error', reject)
        .end();
    });
    expect(res).toBe(403);
  });
});
