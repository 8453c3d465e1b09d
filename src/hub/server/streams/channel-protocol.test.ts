import { describe, expect, it } from 'vitest';
import {
  Channel,
  chooseProtocol,
  closedChannel,
  decodeFrame,
  encodeFrame,
  endStatus,
  parseResize,
} from './channel-protocol.js';

describe('channel protocol', () => {
  it('chooses v5 over v4 whatever the offer order, across headers and spaces; nothing else', () => {
    expect(chooseProtocol(['v5.channel.k8s.io'])).toBe('v5.channel.k8s.io');
    expect(chooseProtocol(['v4.channel.k8s.io, v5.channel.k8s.io'])).toBe('v5.channel.k8s.io');
    expect(chooseProtocol(['channel.k8s.io', ' v4.channel.k8s.io '])).toBe('v4.channel.k8s.io');
    expect(chooseProtocol(['SPDY/3.1+portforward.k8s.io', 'base64.channel.k8s.io', ''])).toBeUndefined();
    expect(chooseProtocol([])).toBeUndefined();
  });

  it('puts the channel byte before the data and reads it back', () => {
    const f = encodeFrame(Channel.stderr, 'héllo');
    expect([...f.subarray(0, 1)]).toEqual([2]);
    expect(f.subarray(1).toString('utf8')).toBe('héllo');
    const d = decodeFrame(f);
    expect(d?.channel).toBe(2);
    expect(d?.data.toString('utf8')).toBe('héllo');
    expect(decodeFrame(Buffer.alloc(0))).toBeUndefined();
    expect(decodeFrame(Buffer.from([0]))?.data.length).toBe(0);
  });

  it('reads v5 close messages naming one channel, and nothing else as a close', () => {
    expect(closedChannel({ channel: 255, data: Buffer.from([0]) })).toBe(0);
    expect(closedChannel({ channel: 255, data: Buffer.from([]) })).toBeUndefined();
    expect(closedChannel({ channel: 255, data: Buffer.from([0, 1]) })).toBeUndefined();
    expect(closedChannel({ channel: 0, data: Buffer.from([0]) })).toBeUndefined();
  });

  it('reads resize messages as client-go writes them, ignoring malformed ones', () => {
    expect(parseResize(Buffer.from('{"Width":80,"Height":24}'))).toEqual({ width: 80, height: 24 });
    for (const bad of [
      '',
      'null',
      '[]',
      '{"Width":-1,"Height":2}',
      '{"Width":1.5,"Height":2}',
      '{"Width":70000,"Height":1}',
      '{"Width":"80","Height":24}',
    ])
      expect(parseResize(Buffer.from(bad)), bad).toBeUndefined();
  });

  it('reports how a command ended as the Status client-go decodes', () => {
    expect(endStatus({ exitCode: 0 })).toEqual({ metadata: {}, status: 'Success' });
    expect(endStatus({ exitCode: 3 })).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
    // client-go parses the cause as a uint8.
    expect(endStatus({ exitCode: -1 }).details?.causes[0]?.message).toBe('255');
    expect(endStatus({ exitCode: 256 }).details?.causes[0]?.message).toBe('255');
    expect(endStatus({ error: 'container main is not running' })).toEqual({
      metadata: {},
      status: 'Failure',
      reason: 'InternalError',
      message: 'container main is not running',
    });
  });
});
