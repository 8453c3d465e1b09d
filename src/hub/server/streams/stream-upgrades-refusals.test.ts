/**
 * Exec upgrades the API app refuses, on a real loopback server: each answers with a Kubernetes Status (403,
 * 401, 404, 400 naming what is served) and runs nothing; the SPDY retry kubectl makes after a refused
 * WebSocket is refused the same way, never upgraded.
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { EXEC, VIEWER_TOKEN, upgradeRig } from './testing/upgrade-rig.js';

const rig = upgradeRig();

describe('refused upgrades answer with a Status and run nothing', () => {
  it('403 for a caller who may not create pods/exec, without the token in the answer', async () => {
    const before = rig.reached.length;
    const r = await rig.refusal('command=id&stdout=true', { token: VIEWER_TOKEN });
    expect(r.status).toBe(403);
    expect(r.body.reason).toBe('Forbidden');
    expect(r.body.message).not.toContain(VIEWER_TOKEN);
    expect(rig.reached.length).toBe(before);
  });

  it('401 without credentials, 404 for a missing pod, 400 for a bad container or no command', async () => {
    expect((await rig.refusal('command=id', { token: 'nope' })).status).toBe(401);
    const missing = await rig.refusedStatus(`${rig.base}/api/v1/namespaces/default/pods/zz/exec?command=id`);
    expect(missing).toBe(404);
    expect((await rig.refusal('command=id&container=other')).body.message).toBe(
      'container other is not valid for pod a',
    );
    expect((await rig.refusal('stdout=true')).status).toBe(400);
  });

  it('400 naming what is served, for stdin/tty (not yet), unknown sub-protocols', async () => {
    expect((await rig.refusal('command=sh&stdin=true')).body.message).toContain('stdin or a tty');
    // Pod a runs Wasm: -t is refused before anything else (its commands never have a terminal).
    const tty = await rig.refusal('command=sh&tty=true');
    expect(tty.status).toBe(400);
    expect(tty.body.message).toContain('pod a runs Wasm, whose commands have no terminal (-t)');
    const r = await rig.refusal('command=sh', { protocols: ['channel.k8s.io'] });
    expect(r.status).toBe(400);
    expect(r.body.message).toContain('v5.channel.k8s.io');
  });
});

describe('the SPDY retry kubectl makes after a refused WebSocket', () => {
  /** A POST with `Upgrade: SPDY/3.1`, as client-go's fallback sends it; resolves with the answer. */
  const spdy = (query: string): Promise<{ status: number; body: { message: string } }> =>
    new Promise((resolve, reject) => {
      const r = request(`${rig.base.replace('ws:', 'http:')}${EXEC}?${query}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${rig.auth.adminToken}`,
          connection: 'Upgrade',
          upgrade: 'SPDY/3.1',
          'x-stream-protocol-version': 'v4.channel.k8s.io',
        },
      });
      r.on('response', (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) as { message: string } }));
      });
      r.on('upgrade', () => reject(new Error('SPDY must not be upgraded')));
      r.on('error', reject);
      r.end();
    });

  it('is refused with the request’s own fault first, else with what is served', async () => {
    expect((await spdy('command=id&container=nope')).body.message).toBe('container nope is not valid for pod a');
    const r = await spdy('command=id');
    expect(r.status).toBe(400);
    expect(r.body.message).toContain('SPDY/3.1');
    expect(r.body.message).toContain('v5.channel.k8s.io');
  });
});
