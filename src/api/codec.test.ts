import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { FrameError, MAX_FRAME_DEPTH, decodeFrame, encodeFrame } from './codec.js';
import type { Pod } from './pod.js';
import { HubToNode, NodeToHub } from './wire.js';

/** A pod using the deepest parts of the schema (probes with headers, env from fieldRef, resources). */
function richPod(name: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      labels: { app: name },
      annotations: { note: 'x' },
      resourceVersion: '7',
      generation: 1,
    },
    spec: {
      nodeName: 'node-a',
      runtimeClassName: 'wasm',
      restartPolicy: 'Always',
      containers: [
        {
          name: 'main',
          image: 'edgeplane.hub/hello.wasm@sha256:' + 'a'.repeat(64),
          env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
          ports: [{ name: 'http', containerPort: 8080 }],
          resources: { limits: { memory: '64Mi', cpu: '500m' } },
          livenessProbe: {
            httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP', httpHeaders: [{ name: 'x-probe', value: '1' }] },
            periodSeconds: 5,
            timeoutSeconds: 1,
            successThreshold: 1,
            failureThreshold: 3,
          },
        },
      ],
    },
  };
}

const decodeHub = (b: Uint8Array): unknown => decodeFrame(NodeToHub, b);
const refused = (b: Uint8Array | number[]): string => {
  try {
    decodeHub(b instanceof Uint8Array ? b : Uint8Array.from(b));
  } catch (err) {
    expect(err).toBeInstanceOf(FrameError);
    return (err as Error).message;
  }
  throw new Error('frame was accepted');
};

describe('frame codec', () => {
  it('round-trips real messages both ways, dropping undefined properties', () => {
    const sync = { type: 'podSync', pods: [richPod('a'), richPod('b')] } as const;
    expect(decodeFrame(HubToNode, encodeFrame(sync))).toMatchObject(sync);
    const req = {
      type: 'logRequest',
      requestId: 'r1',
      pod: { namespace: 'default', name: 'a' },
      container: undefined,
      follow: true,
    };
    expect(decodeFrame(HubToNode, encodeFrame(req))).toEqual({
      type: 'logRequest',
      requestId: 'r1',
      pod: { namespace: 'default', name: 'a' },
      follow: true,
    });
    const status = {
      type: 'podStatus',
      pods: [{ pod: { namespace: 'default', name: 'a', uid: 'u' }, status: { phase: 'Running' } }],
    };
    expect(decodeHub(encodeFrame(status))).toEqual(status);
  });

  it('refuses nesting deeper than the limit without recursing into it', () => {
    const deep = new Uint8Array(200_001).fill(0x91); // 200,000 nested one-element arrays …
    deep[200_000] = 0xc0; // … around a nil
    expect(refused(deep)).toMatch(new RegExp(`nesting deeper than ${MAX_FRAME_DEPTH} levels`));
    const deepMaps = Buffer.concat([
      ...Array.from({ length: 100 }, () => Buffer.from([0x81, 0xa1, 0x61])),
      Buffer.from([0xc0]),
    ]);
    expect(refused(deepMaps)).toMatch(/nesting deeper/);
  });

  it('refuses declared lengths the frame cannot hold, before allocating them', () => {
    expect(refused([0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0])).toMatch(
      /declares 4294967295 elements but only 1 bytes follow/,
    );
    expect(refused([0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc0])).toMatch(/declares \d+ elements/);
    expect(refused([0xdb, 0xff, 0xff, 0xff, 0xf0, 0x61])).toMatch(/runs past the end/);
    expect(refused([0xc6, 0x7f, 0xff, 0xff, 0xff])).toMatch(/runs past the end/);
    expect(refused([0xdc, 0x00])).toMatch(/runs past the end/);
    expect(refused([0x92, 0xc0])).toMatch(/declares 2 elements but only 1 bytes follow/);
    expect(refused([])).toMatch(/ends in the middle/);
  });

  it('refuses every extension type: Set, Date, BigInt, undefined, records, references, bundled strings', () => {
    const withMoreTypes = new Packr({ moreTypes: true, useRecords: false });
    expect(refused(withMoreTypes.pack({ type: 'heartbeat', time: new Set(['a']) }))).toMatch(/extension type/);
    expect(refused(withMoreTypes.pack({ type: 'heartbeat', time: new Date(0) }))).toMatch(/extension type/);
    expect(refused(new Packr({ useBigIntExtension: true }).pack({ type: 'heartbeat', time: 2n ** 80n }))).toMatch(
      /extension type/,
    );
    expect(
      refused([
        0x82,
        0xa4,
        ...Buffer.from('type'),
        0xa9,
        ...Buffer.from('heartbeat'),
        0xa4,
        ...Buffer.from('time'),
        0xd4,
        0x00,
        0x00,
      ]),
    ).toMatch(/extension type at offset 21/);
    const records = new Packr({ useRecords: true }).pack({
      type: 'podGone',
      pods: [
        { namespace: 'a', name: 'b', uid: 'c' },
        { namespace: 'a', name: 'b', uid: 'c' },
      ],
    });
    expect(refused(records)).toMatch(/extension type/);
    expect(refused(new Packr({ bundleStrings: true }).pack({ type: 'error', message: 'x'.repeat(100) }))).toMatch(
      /extension type|0xc1/,
    );
    expect(refused([0xc1])).toMatch(/reserved byte 0xc1/);
    for (const t of [0xc7, 0xc8, 0xc9, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8])
      expect(refused([t, 0x01, 0x70, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])).toMatch(/extension type/);
  });

  it('bounds the number of values, which is what decoding and validating cost (not bytes)', () => {
    // A million empty maps is 1 MiB and would make zod build three issues for each.
    const emptyMaps = Buffer.alloc(5 + 1_000_000, 0x80);
    emptyMaps[0] = 0xdd;
    emptyMaps.writeUInt32BE(1_000_000, 1);
    expect(refused(emptyMaps)).toMatch(/more than 2048 values in one frame/);
    const manyKeys = encodeFrame({
      type: 'heartbeat',
      time: 't',
      ...Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`k${i}`, i])),
    });
    expect(refused(manyKeys)).toMatch(/more than 2048 values/);
    // The receiver of big frames (a node reading the hub's podSync) can allow more.
    const sync = { type: 'podSync', pods: Array.from({ length: 100 }, (_, i) => richPod(`p${i}`)) };
    expect(() => decodeFrame(HubToNode, encodeFrame(sync))).toThrow(/more than 2048 values/);
    expect(decodeFrame(HubToNode, encodeFrame(sync), { maxValues: 1_000_000 }).type).toBe('podSync');
  });

  it('refuses a structured-clone graph that shares one object many times (exponential once walked)', () => {
    // 40 levels of [x, x]: a few hundred bytes as references, 2^40 nodes for a validator walking it.
    let node: unknown[] = ['leaf'];
    for (let i = 0; i < 40; i++) node = [node, node];
    const bomb = new Packr({ structuredClone: true }).pack({ type: 'podGone', pods: node });
    expect(bomb.byteLength).toBeLessThan(2000);
    expect(refused(bomb)).toMatch(/extension type/);
  });

  it('refuses trailing bytes without quoting the frame', () => {
    const msg = refused([...encodeFrame({ type: 'heartbeat', time: 'secret-looking-value' }), 0xc0]);
    expect(msg).toMatch(/1 bytes after the end of the value/);
    expect(msg).not.toContain('secret-looking-value');
  });

  it('bounds arrays and strings of the wire schemas, naming the field', () => {
    const ref = { namespace: 'default', name: 'a', uid: 'u' };
    const many = { type: 'podGone', pods: Array.from({ length: 201 }, () => ref) };
    expect(refused(encodeFrame(many))).toMatch(/pods: .*200/);
    expect(refused(encodeFrame({ type: 'logChunk', requestId: 'r', data: 'x'.repeat(1024 * 1024 + 1) }))).toMatch(
      /data: /,
    );
    expect(refused(encodeFrame({ type: 'error', message: 'x'.repeat(64 * 1024 + 1) }))).toMatch(/message: /);
    expect(refused(encodeFrame({ type: 'podGone', pods: [{ ...ref, name: 'n'.repeat(254) }] }))).toMatch(
      /pods\[0\]\.name/,
    );
    const labels = Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`k${i}`, 'v']));
    const hello = {
      type: 'hello',
      protocol: 1,
      node: {
        name: 'n',
        labels,
        address: '10.0.0.1',
        meshPort: 1,
        arch: 'arm64',
        os: 'linux',
        runtimes: ['wasm'],
        capacity: { cpu: '1', memory: '1Gi', pods: '10' },
        agentVersion: '1',
      },
    };
    expect(refused(encodeFrame(hello))).toMatch(/node\.labels: at most 256 labels/);
    expect(
      decodeHub(encodeFrame({ ...hello, node: { ...hello.node, labels: { a: 'b' } }, instanceId: 'abcdef0123456789' })),
    ).toMatchObject({ instanceId: 'abcdef0123456789' });
  });

  it('refuses non-string map keys and garbage without throwing anything but FrameError', () => {
    expect(refused([0x81, 0x81, 0xc0, 0xc0, 0xc0])).toMatch(/undecodable/);
    expect(refused(Buffer.from('{"type":"heartbeat"}'))).toMatch(/undecodable|invalid/);
    expect(refused([0x81, 0xa4, ...Buffer.from('type'), 0x2a])).toMatch(/invalid frame of type "<none>"/);
  });
});
