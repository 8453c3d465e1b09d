/*
 * Port-forward streams on the node (`portOpen`): NodeStreams connecting to real TCP servers on
 * loopback (a container's port as its runtime names it), a refused port, and a Wasm-style
 * in-process port served as HTTP over an in-memory connection.
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { NodeStreamFrame, Runtime, WorkloadEndpoint } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import type { PodWorkers } from '../pods/pod-workers.js';
import { NodeStreams } from './node-streams.js';
import type { LocalHttp } from './port-connection.js';

type Worker = NonNullable<ReturnType<PodWorkers['find']>>;

/** One pod whose single container's port goes to `endpoint`. */
function workers(endpoint: (port: number) => WorkloadEndpoint): Pick<PodWorkers, 'find'> {
  const runtime = { endpoint: (_id: string, port: number) => endpoint(port) } as unknown as Runtime;
  const worker = {
    localTarget: (port: number) => ({ ok: true, runtime, containerId: 'c1', port }),
    podIP: () => undefined,
  } as unknown as Worker;
  return { find: (ns, name) => (ns === 'default' && name === 'box' ? worker : undefined) };
}

/** Runs one port-forward stream to its end, acknowledging output as it comes. */
async function forward(
  streams: NodeStreams,
  frames: NodeStreamFrame[],
  port: number,
  input: Buffer[],
): Promise<{ out: Buffer; exit: NodeStreamFrame }> {
  const id = `s-${port}-${Math.random()}`;
  streams.handle({ type: 'portOpen', streamId: id, pod: { namespace: 'default', name: 'box' }, port });
  for (const data of input) streams.handle({ type: 'streamInput', streamId: id, data });
  streams.handle({ type: 'streamClose', streamId: id });
  let acked = 0;
  for (;;) {
    const mine = frames.filter((f) => f.streamId === id);
    const out = mine.flatMap((f) => (f.type === 'streamOutput' ? [Buffer.from(f.data)] : []));
    const sent = out.reduce((n, b) => n + b.length, 0);
    if (sent > acked) {
      streams.handle({ type: 'streamAck', streamId: id, bytes: sent - acked });
      acked = sent;
    }
    const exit = mine.find((f) => f.type === 'streamExit');
    if (exit) return { out: Buffer.concat(out), exit };
    await new Promise((r) => setTimeout(r, 5));
  }
}

let echo: Server;
let echoPort: number;
let refused: number;

const listen = (s: Server): Promise<number> =>
  new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));

beforeAll(async () => {
  echo = createServer((s) => s.pipe(s));
  echoPort = await listen(echo);
  const gone = createServer();
  refused = await listen(gone);
  await new Promise((r) => gone.close(r));
});

afterAll(() => new Promise((r) => echo.close(r)));

describe('port-forward streams on the node', () => {
  it('connect to a container port and carry bytes both ways past the window, then exit 0', async () => {
    const frames: NodeStreamFrame[] = [];
    const streams = new NodeStreams({
      workers: workers((port) => ({ kind: 'tcp', host: '127.0.0.1', port })),
      send: (f) => frames.push(f),
      logger: silentLogger(),
    });
    const data = Buffer.from(Array.from({ length: 600_000 }, (_, i) => (i * 7) % 256));
    const chunks: Buffer[] = [];
    for (let off = 0; off < data.length; off += 32 * 1024) chunks.push(data.subarray(off, off + 32 * 1024));
    // The hub keeps within its window: send what fits, the acks free the rest (input is acked as written).
    const { out, exit } = await forward(streams, frames, echoPort, chunks.slice(0, 8));
    expect(exit).toMatchObject({ type: 'streamExit', exitCode: 0 });
    expect(out.equals(Buffer.concat(chunks.slice(0, 8)))).toBe(true);
    expect(streams.size).toBe(0);
  });

  it('a refused port ends the stream with the error the client is shown', async () => {
    const frames: NodeStreamFrame[] = [];
    const streams = new NodeStreams({
      workers: workers((port) => ({ kind: 'tcp', host: '127.0.0.1', port })),
      send: (f) => frames.push(f),
      logger: silentLogger(),
    });
    const { exit } = await forward(streams, frames, refused, []);
    expect(exit).toMatchObject({ type: 'streamExit', error: expect.stringMatching(/ECONNREFUSED/) as unknown });
    streams.handle({ type: 'portOpen', streamId: 'x', pod: { namespace: 'default', name: 'nope' }, port: 80 });
    await vi.waitFor(() => expect(frames.find((f) => f.streamId === 'x')).toBeDefined(), { timeout: 15_000 });
    expect(frames.find((f) => f.streamId === 'x')).toMatchObject({
      type: 'streamExit',
      error: 'pod default/nope is not running on this node',
    });
  });

  it('an in-process port is served as HTTP/1.1 through the node’s delivery hook, keep-alive included', async () => {
    const frames: NodeStreamFrame[] = [];
    const seen: string[] = [];
    const localHttp: LocalHttp = (pod, port, req, res) => {
      seen.push(`${pod.name}:${port} ${req.method ?? ''} ${req.url ?? ''}`);
      res.end(`hi from ${pod.name}`);
      return Promise.resolve();
    };
    const streams = new NodeStreams({
      workers: workers(() => ({ kind: 'in-process', handle: () => Promise.reject(new Error('not this way')) })),
      send: (f) => frames.push(f),
      logger: silentLogger(),
      localHttp,
    });
    const req = 'GET /a HTTP/1.1\r\nHost: box\r\n\r\nGET /b HTTP/1.1\r\nHost: box\r\nConnection: close\r\n\r\n';
    const { out, exit } = await forward(streams, frames, 8080, [Buffer.from(req)]);
    expect(exit).toMatchObject({ exitCode: 0 });
    expect(out.toString().match(/HTTP\/1\.1 200 OK/g)?.length).toBe(2);
    expect(out.toString()).toContain('hi from box');
    expect(seen).toEqual(['box:8080 GET /a', 'box:8080 GET /b']);
  });
});
