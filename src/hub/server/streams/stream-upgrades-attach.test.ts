/**
 * Attach (no stdin, no tty) over the API app's streaming upgrade on a real loopback server: the container's
 * output from now on until the client leaves, which ends the follow on the node side; -i/-t to a Wasm
 * container and a plain request are refused.
 */
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { upgradeRig } from './testing/upgrade-rig.js';

const rig = upgradeRig();

describe('attach (no stdin, no tty)', () => {
  it('streams the container’s output from now on, until the client leaves (which ends the follow)', async () => {
    const ws = new WebSocket(
      `${rig.base}/api/v1/namespaces/default/pods/a/attach?container=main&stdout=true&stderr=true`,
      ['v5.channel.k8s.io'],
      { headers: { authorization: `Bearer ${rig.auth.adminToken}` } },
    );
    const frames: { channel: number; text: string }[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (data: Buffer) => {
        frames.push({ channel: data[0] ?? -1, text: data.subarray(1).toString() });
        if (frames.length === 3) resolve();
      });
      ws.on('error', reject);
    });
    expect(frames).toEqual([
      { channel: 1, text: 'default/a line 1\n' },
      { channel: 1, text: 'main line 2\n' },
      { channel: 1, text: 'tail=0 line 3\n' },
    ]);
    expect(rig.attached.at(-1)?.opts).toEqual({ follow: true, tailLines: 0, container: 'main' });
    ws.close();
    await new Promise((resolve) => setTimeout(resolve, 0));
    await until(() => rig.attached.at(-1)?.aborted === true);
  });

  it('is refused with -i/-t to a container without stdin/tty (a Wasm one here), and as a plain request', async () => {
    const status = await rig.refusedStatus(`${rig.base}/api/v1/namespaces/default/pods/a/attach?stdin=true`);
    expect(status).toBe(400);
    const plain = await fetch(`${rig.base.replace('ws:', 'http:')}/api/v1/namespaces/default/pods/a/attach`, {
      method: 'POST',
      headers: { authorization: `Bearer ${rig.auth.adminToken}` },
    });
    expect(plain.status).toBe(400);
  });
});

/** Polls `cond` (the server side runs on its own turn of the event loop). */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(cond()).toBe(true);
}
