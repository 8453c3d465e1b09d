/**
 * The sending end of a mesh hop over mutual TLS, with real certificates, real senders, real mesh
 * servers and real sockets: it delivers to the endpoint's node without a token, trusts only a peer
 * of the cluster CA that names the node it expects, and resumes TLS sessions.
 * Shared setup: testing/mesh-tls-suite.ts.
 */
import { describe, expect, it } from 'vitest';
import { TestPki } from './testing/test-pki.js';
import { meshTlsSuite, viaNodePort } from './testing/mesh-tls-suite.js';

const rig = meshTlsSuite();
const { startPeer, sender } = rig;

describe('the sender over mTLS', () => {
  it('delivers through a peer that is the endpoint’s node, with no token', async () => {
    const a = await sender('node-a', { transport: 'mtls', tls: await rig.pki.node('node-a') }, [
      { nodeName: 'node-b', meshPort: rig.receiver.port },
    ]);
    expect(await viaNodePort(a)).toEqual({ status: 200, body: 'reached /hello' });
  });

  it('refuses a peer whose certificate names another node (and tries the genuine endpoint)', async () => {
    // node-c's mesh server is where the table says node-b is: an impostor, or a stale address.
    const impostor = await startPeer('node-c', { transport: 'mtls', tls: await rig.pki.node('node-c') });
    const lost = await sender('node-a', { transport: 'mtls', tls: await rig.pki.node('node-a') }, [
      { nodeName: 'node-b', meshPort: impostor.port },
    ]);
    const before = rig.upstream.hits;
    const res = await viaNodePort(lost);
    expect(res.status).toBe(503);
    expect(res.body).toMatch(/names node "node-c", not "node-b"/);
    expect(rig.upstream.hits).toBe(before);

    const both = await sender('node-a', { transport: 'mtls', tls: await rig.pki.node('node-a') }, [
      { nodeName: 'node-b', meshPort: impostor.port },
      { nodeName: 'node-b', meshPort: rig.receiver.port },
    ]);
    for (let i = 0; i < 6; i++) expect((await viaNodePort(both)).status).toBe(200);
  });

  it('trusts only the cluster CA: a peer with the right name from another CA is refused', async () => {
    const other = await TestPki.create('another-ca');
    const fake = await startPeer('node-b', { transport: 'mtls', tls: await other.node('node-b') });
    const a = await sender('node-a', { transport: 'mtls', tls: await rig.pki.node('node-a') }, [
      { nodeName: 'node-b', meshPort: fake.port },
    ]);
    const res = await viaNodePort(a);
    expect(res.status).toBe(503);
    expect(fake.server.handshakes.full).toBe(0);
  });

  it('resumes TLS sessions for further connections to a peer', async () => {
    const peer = await startPeer('node-b', { transport: 'mtls', tls: await rig.pki.node('node-b') });
    const a = await sender('node-a', { transport: 'mtls', tls: await rig.pki.node('node-a') }, [
      { nodeName: 'node-b', meshPort: peer.port },
    ]);
    expect((await viaNodePort(a)).status).toBe(200); // the first connection: a full handshake
    // Concurrent requests make the pool open more connections, each resuming the first's session.
    const statuses = await Promise.all(Array.from({ length: 8 }, () => viaNodePort(a).then((r) => r.status)));
    expect(statuses.every((s) => s === 200)).toBe(true);
    const { full, resumed } = peer.server.handshakes;
    expect(full).toBeGreaterThanOrEqual(1);
    expect(resumed).toBeGreaterThan(0);
  });
});
