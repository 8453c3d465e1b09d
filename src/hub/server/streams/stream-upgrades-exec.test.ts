/**
 * Exec over the WebSocket channel protocols (v5, v4), driven through the API app's streaming upgrade on a
 * real loopback server with a real WebSocket client: the stdout, stderr and status channels, a non-zero exit,
 * a command that could not run, and large output split into bounded messages.
 */
import { describe, expect, it } from 'vitest';
import { upgradeRig } from './testing/upgrade-rig.js';

const rig = upgradeRig();

describe('exec over the v5 channel protocol', () => {
  it('streams stdout, stderr and a Success status, then closes normally', async () => {
    const s = await rig.openStream('command=echo&command=0&stdout=true&stderr=true');
    expect(s.protocol).toBe('v5.channel.k8s.io');
    expect(s.frames).toEqual([
      { channel: 1, text: 'out 0\n' },
      { channel: 2, text: 'err 0\n' },
      { channel: 3, text: JSON.stringify({ metadata: {}, status: 'Success' }) },
    ]);
    expect(s.closeCode).toBe(1000);
    expect(rig.reached.at(-1)).toMatchObject({ command: ['echo', '0'] });
  });

  it('reports a non-zero exit as NonZeroExitCode with the ExitCode cause; leaves out channels not asked for', async () => {
    const s = await rig.openStream('command=sh&command=7&stdout=true&stderr=false', {
      protocols: ['v4.channel.k8s.io'],
    });
    expect(s.protocol).toBe('v4.channel.k8s.io');
    expect(s.frames.map((f) => f.channel)).toEqual([1, 3]);
    expect(JSON.parse(s.frames[1]!.text)).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '7' }] },
    });
  });

  it('passes the container and reports a command that could not run as a Failure with its message', async () => {
    const s = await rig.openStream('command=fail&container=main&stdout=true&stderr=true');
    expect(rig.reached.at(-1)).toMatchObject({ command: ['fail'], container: 'main' });
    expect(s.frames).toHaveLength(1);
    expect(JSON.parse(s.frames[0]!.text)).toMatchObject({
      status: 'Failure',
      message: 'container main is not running',
    });
  });

  it('splits large output into bounded messages that add up to all of it', async () => {
    const s = await rig.openStream('command=big&stdout=true');
    const out = s.frames.filter((f) => f.channel === 1);
    expect(out.length).toBeGreaterThan(1);
    expect(Math.max(...out.map((f) => f.text.length))).toBeLessThanOrEqual(32 * 1024);
    expect(out.map((f) => f.text).join('')).toBe('x'.repeat(100_000));
  });
});
