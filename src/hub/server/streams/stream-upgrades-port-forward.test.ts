/**
 * Port-forward upgrades to the API app on a real loopback server: authorised as create pods/portforward
 * and validated before anything is upgraded, and a plain request answered with the upgrades served.
 */
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { VIEWER_TOKEN, upgradeRig } from './testing/upgrade-rig.js';

const rig = upgradeRig();

describe('port-forward upgrades', () => {
  const PF = '/api/v1/namespaces/default/pods/a/portforward';
  /** The status and Status reason of a refused port-forward WebSocket. */
  const refusedWith = (path: string, protocols: string[], token = rig.auth.adminToken) =>
    new Promise<{ http: number; reason: string; message: string }>((resolve, reject) => {
      // Set as a header: the ws client refuses the '/' in kubectl's sub-protocol name; gorilla sends it.
      const ws = new WebSocket(`${rig.base}${path}`, {
        headers: { authorization: `Bearer ${token}`, 'sec-websocket-protocol': protocols.join(', ') },
      });
      ws.on('open', () => reject(new Error('upgraded')));
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () =>
          resolve({ ...(JSON.parse(body) as { reason: string; message: string }), http: res.statusCode ?? 0 }),
        );
      });
      ws.on('error', () => undefined);
    });

  it('are authorised as create pods/portforward and validated before anything is upgraded', async () => {
    expect(await refusedWith(PF, ['SPDY/3.1+portforward.k8s.io'], VIEWER_TOKEN)).toMatchObject({ http: 403 });
    expect(await refusedWith(PF.replace('/a/', '/nope/'), ['SPDY/3.1+portforward.k8s.io'])).toMatchObject({
      http: 404,
    });
    const noProtocol = await refusedWith(PF, ['v5.channel.k8s.io']);
    expect(noProtocol).toMatchObject({ http: 400 });
    expect(noProtocol.message).toContain('SPDY/3.1+portforward.k8s.io');
    // A hub built without node streams says so (kubectl then tries SPDY, which gets the same answer).
    const noStreams = await refusedWith(PF, ['SPDY/3.1+portforward.k8s.io']);
    expect(noStreams).toMatchObject({ http: 400 });
    expect(noStreams.message).toContain('port-forward needs node streams');
  });

  it('a plain request (no upgrade) is a 400 naming the upgrades served', async () => {
    const res = await fetch(`${rig.base.replace('ws:', 'http:')}${PF}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${rig.auth.adminToken}` },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain('port-forward is served only as an upgrade');
  });
});
