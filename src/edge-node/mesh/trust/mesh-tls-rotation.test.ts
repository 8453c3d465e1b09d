/**
 * Certificate rotation on a mesh hop over mutual TLS: both ends switch to new certificates under
 * load with no failed request, new handshakes present the newest one and the old pools drain.
 * Shared setup: testing/mesh-tls-suite.ts.
 */
import { connect as tlsConnect } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { startUpstream } from './testing/mesh-hop-rig.js';
import { meshTlsSuite, viaNodePort } from './testing/mesh-tls-suite.js';

const rig = meshTlsSuite();
const { cleanups, sender, startPeer } = rig;

describe('rotation', () => {
  it('switches both ends’ certificates under load with zero failed requests', async () => {
    const slow = await startUpstream(5);
    cleanups.push(() => slow.close());
    let tlsB = await rig.pki.node('node-b', { lifetimeSeconds: 60 });
    let tlsA = await rig.pki.node('node-a', { lifetimeSeconds: 60 });
    const b = await startPeer('node-b', { transport: 'mtls', tls: tlsB }, slow.port);
    const a = await sender('node-a', { transport: 'mtls', tls: tlsA }, [{ nodeName: 'node-b', meshPort: b.port }]);

    let stop = false;
    const failures: string[] = [];
    let ok = 0;
    const worker = async (): Promise<void> => {
      while (!stop) {
        const res = await viaNodePort(a).catch((err: unknown) => ({ status: 0, body: String(err) }));
        if (res.status === 200) ok++;
        else failures.push(`${res.status} ${res.body}`);
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    const served = async (n: number): Promise<void> => {
      const target = ok + n;
      while (ok < target && failures.length === 0) await new Promise((r) => setImmediate(r));
    };
    await served(50);
    const serials = [tlsB.certPem];
    for (let round = 0; round < 4; round++) {
      tlsB = await rig.pki.node('node-b', { lifetimeSeconds: 60 });
      tlsA = await rig.pki.node('node-a', { lifetimeSeconds: 60 });
      serials.push(tlsB.certPem);
      b.server.setTlsMaterial(tlsB);
      a.deliverer.setTlsMaterial(tlsA);
      await served(50);
    }
    stop = true;
    await Promise.all(workers);
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(250);

    // New handshakes present the newest certificate; the old pools have drained.
    const presented = await new Promise<string>((resolve, reject) => {
      const s = tlsConnect(
        {
          host: '127.0.0.1',
          port: b.port,
          ca: rig.pki.ca.certPem,
          key: tlsA.keyPem,
          cert: tlsA.certPem,
          checkServerIdentity: () => undefined,
        },
        () => {
          resolve(s.getPeerX509Certificate()?.toString() ?? '');
          s.destroy();
        },
      ).on('error', reject);
    });
    expect(presented.replace(/\s/g, '')).toBe(serials.at(-1)!.replace(/\s/g, ''));
    while (a.deliverer.drainingPeerPools > 0) await new Promise((r) => setTimeout(r, 10));
    expect(b.server.handshakes.full).toBeGreaterThanOrEqual(5);
  });
});
