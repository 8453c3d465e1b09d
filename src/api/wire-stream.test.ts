import { describe, expect, it } from 'vitest';
import { FrameError, decodeFrame, encodeFrame } from './codec.js';
import { HubToNode, NodeToHub, PROTOCOL_VERSION } from './wire.js';
import {
  ATTACH_PROTOCOL_VERSION,
  PORT_FORWARD_PROTOCOL_VERSION,
  STREAM_CHUNK_MAX_BYTES,
  STREAM_PROTOCOL_VERSION,
  STREAM_WINDOW_BYTES,
  StreamCredit,
} from './wire-stream.js';

describe('stream frames', () => {
  it('are part of the current protocol', () => {
    expect(PROTOCOL_VERSION).toBeGreaterThanOrEqual(STREAM_PROTOCOL_VERSION);
    expect(PROTOCOL_VERSION).toBeGreaterThanOrEqual(PORT_FORWARD_PROTOCOL_VERSION);
    expect(PROTOCOL_VERSION).toBeGreaterThanOrEqual(ATTACH_PROTOCOL_VERSION);
  });

  it('attach to a container with attachOpen (no command), and refuse one that carries a command', () => {
    const open = {
      type: 'attachOpen',
      streamId: 'a1',
      pod: { namespace: 'default', name: 'box' },
      container: 'main',
      stdin: true,
      tty: true,
      size: { width: 80, height: 24 },
    };
    expect(decodeFrame(HubToNode, encodeFrame(open))).toEqual(open);
    expect(() => decodeFrame(HubToNode, encodeFrame({ ...open, command: ['sh'] }))).toThrow(FrameError);
  });

  it('open a port-forward connection with portOpen, and refuse a port outside 1..65535', () => {
    const open = { type: 'portOpen', streamId: 'p1', pod: { namespace: 'default', name: 'box' }, port: 8080 };
    expect(decodeFrame(HubToNode, encodeFrame(open))).toEqual(open);
    for (const port of [0, 65_536, 1.5])
      expect(() => decodeFrame(HubToNode, encodeFrame({ ...open, port }))).toThrow(FrameError);
  });

  it('carry binary data through msgpack unchanged, every byte value included', () => {
    const data = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const input = decodeFrame(HubToNode, encodeFrame({ type: 'streamInput', streamId: 's1', data }));
    expect(input.type).toBe('streamInput');
    expect(Buffer.from((input as { data: Uint8Array }).data).equals(data)).toBe(true);
    const out = decodeFrame(NodeToHub, encodeFrame({ type: 'streamOutput', streamId: 's1', fd: 2, data }));
    expect(out).toMatchObject({ type: 'streamOutput', fd: 2 });
    expect(Buffer.from((out as { data: Uint8Array }).data).equals(data)).toBe(true);
  });

  it('round-trip open, resize, close, cancel, acks and exit', () => {
    const open = {
      type: 'streamOpen',
      streamId: 's2',
      pod: { namespace: 'default', name: 'box' },
      container: 'main',
      command: ['sh', '-c', 'cat'],
      stdin: true,
      tty: true,
      size: { width: 80, height: 24 },
    };
    expect(decodeFrame(HubToNode, encodeFrame(open))).toEqual(open);
    for (const f of [
      { type: 'streamResize', streamId: 's2', size: { width: 132, height: 43 } },
      { type: 'streamClose', streamId: 's2' },
      { type: 'streamCancel', streamId: 's2' },
      { type: 'streamAck', streamId: 's2', bytes: 4096 },
    ])
      expect(decodeFrame(HubToNode, encodeFrame(f))).toEqual(f);
    for (const f of [
      { type: 'streamAck', streamId: 's2', bytes: 1 },
      { type: 'streamExit', streamId: 's2', exitCode: 130 },
      { type: 'streamExit', streamId: 's2', error: 'container main of pod box is not running' },
    ])
      expect(decodeFrame(NodeToHub, encodeFrame(f))).toEqual(f);
  });

  it('refuse chunks past the bound, text for bytes, acks outside the window, bad sizes, an empty command', () => {
    const bad = [
      { type: 'streamInput', streamId: 's', data: Buffer.alloc(STREAM_CHUNK_MAX_BYTES + 1) },
      { type: 'streamInput', streamId: 's', data: 'text is not bytes' },
      { type: 'streamAck', streamId: 's', bytes: 0 },
      { type: 'streamAck', streamId: 's', bytes: STREAM_WINDOW_BYTES + 1 },
      { type: 'streamResize', streamId: 's', size: { width: -1, height: 3 } },
      { type: 'streamOpen', streamId: 's', pod: { namespace: 'a', name: 'b' }, command: [], stdin: false, tty: false },
      { type: 'streamCancel', streamId: '' },
    ];
    for (const f of bad)
      expect(() => decodeFrame(HubToNode, encodeFrame(f)), JSON.stringify(f).slice(0, 80)).toThrow(FrameError);
    expect(() =>
      decodeFrame(NodeToHub, encodeFrame({ type: 'streamOutput', streamId: 's', fd: 0, data: Buffer.alloc(1) })),
    ).toThrow(FrameError);
  });
});

describe('StreamCredit', () => {
  it('spends up to the window, is given back by acks, and refuses an ack past the window', () => {
    const c = new StreamCredit(100);
    expect(c.take(60)).toBe(true);
    expect(c.take(50)).toBe(false);
    expect(c.available).toBe(40);
    expect(c.give(60)).toBe(true);
    expect(c.available).toBe(100);
    expect(c.give(1)).toBe(false);
    expect(c.available).toBe(100);
  });
});
