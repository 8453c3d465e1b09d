/**
 * The per-user limit on exec, attach and port-forward streams, on a real loopback server whose app allows
 * one stream a user: a slot held while the upgraded connection lives, 429 past it, freed on close.
 */
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { StreamLimiter } from '../stream-limits.js';
import { upgradeRig } from './testing/upgrade-rig.js';

const rig = upgradeRig();

describe('per-user limit on exec/attach/port-forward streams', () => {
  it('holds a slot while the upgraded connection lives, 429 naming the limit past it, freed on close', async () => {
    const limited = await rig.serve({ streamLimits: new StreamLimiter({ podStreamsPerUser: 1 }) });
    const url = `${limited.base}/api/v1/namespaces/default/pods/a/attach?stdout=true`;
    const open = () =>
      new Promise<{ ws: WebSocket } | { status: number; body: string }>((resolve, reject) => {
        const ws = new WebSocket(url, ['v5.channel.k8s.io'], {
          headers: { authorization: `Bearer ${rig.auth.adminToken}` },
        });
        ws.on('open', () => resolve({ ws }));
        ws.on('unexpected-response', (_q, res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        ws.on('error', reject);
      });
    try {
      // A refused upgrade (bad container) takes the slot only while it is answered.
      const bad = await rig.refusedStatus(`${url}&container=nope`);
      expect(bad).toBe(400);
      let first = await open();
      for (let i = 0; i < 200 && !('ws' in first); i++) {
        await new Promise((r) => setTimeout(r, 10)); // the refused one's socket closes on its own turn
        first = await open();
      }
      expect('ws' in first).toBe(true);
      const second = await open();
      expect(second).toMatchObject({ status: 429 });
      const status = JSON.parse((second as { body: string }).body) as { reason: string; message: string };
      expect(status.reason).toBe('TooManyRequests');
      expect(status.message).toContain('too many concurrent exec, attach and port-forward streams for user "admin"');
      expect(status.message).toContain('--max-pod-streams-per-user');
      (first as { ws: WebSocket }).ws.close();
      // Freed once the first connection closed (server side, on its own turn).
      let third = await open();
      for (let i = 0; i < 200 && !('ws' in third); i++) {
        await new Promise((r) => setTimeout(r, 10));
        third = await open();
      }
      expect('ws' in third).toBe(true);
      (third as { ws: WebSocket }).ws.close();
    } finally {
      await limited.close();
    }
  });
});
