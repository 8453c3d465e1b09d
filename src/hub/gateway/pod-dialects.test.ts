/**
 * Upgrade skew on pods, through a real hub to raw nodes: a protocol-5 node gets its pods without
 * `spec.dnsPolicy` (its agent's strict schema refused the field, and with it the whole set), a
 * protocol-6 node with it, in the welcome's `podSync` and in later upserts alike. Pod-set resume
 * (protocol 9): an old agent gets no hashes and the whole set, and a new agent whose next hub is of
 * protocol 8 offers that hub its position once (refused, as the old schema refuses it), then none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { WebSocketServer } from 'ws';
import { NodeHello, NodeToHub, decodeFrame, encodeFrame, typeByKind } from '../../api/index.js';
import type { HubToNode, Pod } from '../../api/index.js';
import { HubSession } from '../../edge-node/index.js';
import { CutProxy } from './testing/cut-proxy.js';
import { RawNode, nodeInfo, startGatewayHub, until, type TestHub } from './testing/raw-node.js';

const POD = typeByKind('v1', 'Pod')!;

const pod = (name: string, nodeName: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { nodeName, dnsPolicy: 'ClusterFirst', containers: [{ name: 'c', image: 'x.wasm' }] },
});

/** `dnsPolicy` of every pod `node` was sent, by pod name, from its `podSync`s and `podUpsert`s. */
function policies(node: RawNode): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const s of node.of('podSync')) for (const p of s.pods) out[p.metadata.name!] = p.spec.dnsPolicy ?? 'absent';
  for (const u of node.of('podUpsert')) out[u.pod.metadata.name!] = u.pod.spec.dnsPolicy ?? 'absent';
  return out;
}

describe('pods for older agents', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startGatewayHub();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('leaves spec.dnsPolicy out for a protocol-5 node, and keeps it for a protocol-6 node', async () => {
    await t.hub.api.create(POD, pod('early-5', 'old'));
    await t.hub.api.create(POD, pod('early-6', 'new'));
    const old = await RawNode.connect(t.url, t.token, 'old', { protocol: 5 });
    const cur = await RawNode.connect(t.url, t.token, 'new');
    await until(() => policies(old)['early-5'] !== undefined && policies(cur)['early-6'] !== undefined, 'the pod sets');
    await t.hub.api.create(POD, pod('late-5', 'old'));
    await t.hub.api.create(POD, pod('late-6', 'new'));
    await until(() => policies(old)['late-5'] !== undefined && policies(cur)['late-6'] !== undefined, 'the upserts');
    expect(policies(old)).toEqual({ 'early-5': 'absent', 'late-5': 'absent' });
    expect(policies(cur)).toEqual({ 'early-6': 'ClusterFirst', 'late-6': 'ClusterFirst' });
    for (const n of [old, cur]) await n.close();
  });
});

describe('pod-set resume across versions (protocol 9)', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startGatewayHub();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('gives a protocol-8 node its pods without hashes, and the whole set again on reconnect', async () => {
    await t.hub.api.create(POD, pod('old-a', 'old-8'));
    const first = await RawNode.connect(t.url, t.token, 'old-8', { protocol: 8 });
    await t.hub.api.create(POD, pod('old-b', 'old-8'));
    await until(() => first.of('podUpsert').length > 0, 'the upsert');
    // An old agent's strict schema refuses fields it does not know: none of protocol 9 is sent to it.
    expect(first.of('podSync').every((s) => s.hashes === undefined)).toBe(true);
    expect(first.of('podUpsert').every((u) => u.hash === undefined)).toBe(true);
    await first.close();
    const again = await RawNode.connect(t.url, t.token, 'old-8', { protocol: 8 });
    expect(again.of('podResume')).toEqual([]);
    expect(
      again
        .of('podSync')
        .flatMap((s) => s.pods.map((p) => p.metadata.name))
        .sort(),
    ).toEqual(['old-a', 'old-b']);
    await again.close();
  });

  it('a new agent that leaves a protocol-9 hub for a protocol-8 one offers its position once, then takes the whole set', async () => {
    await t.hub.api.create(POD, pod('new-a', 'skew-node'));
    const proxy = await CutProxy.start(Number(new URL(t.url).port));
    const old = await OldHub.start();
    const got: HubToNode[] = [];
    const session = new HubSession({
      hubUrl: [proxy.url, old.url],
      token: t.token,
      logger: pino({ level: 'silent' }),
      nodeInfo: () => nodeInfo('skew-node'),
      onMessage: (m) => void got.push(m),
      backoff: { initialMs: 50, maxMs: 200, spreadMs: 50 },
    });
    session.start();
    try {
      await until(() => got.some((m) => m.type === 'podSync' && m.hashes?.length === 1), 'the set from the new hub');
      proxy.cut(); // the new hub is gone: the session moves to the old one
      // Counted on the node's side: the old hub counts its welcome before the frames reach the session,
      // and the new hub's serviceSync may still be the last message seen at that moment.
      const fromOld = (): HubToNode[] => got.slice(got.findIndex((m) => m.type === 'welcome' && m.protocol === 8));
      await until(
        () =>
          got.some((m) => m.type === 'welcome' && m.protocol === 8) && fromOld().some((m) => m.type === 'serviceSync'),
        'the old hub’s welcome',
      );
      // The first hello to the old hub offered the position, which its schema refused; the next did not.
      expect(old.hellos[0]).toMatchObject({ refused: true, offered: true });
      expect(old.hellos.at(-1)).toMatchObject({ refused: false, offered: false });
      const last = got.filter((m) => m.type === 'podSync').at(-1)!;
      expect(last.pods.map((p) => p.metadata.name)).toEqual(['from-old-hub']);
    } finally {
      await session.stop();
      await old.stop();
      await proxy.stop();
    }
  });
});

/** Protocol 8's hello: the node's schema before pod positions (strict, as an old hub decodes it). */
const OldHello = NodeHello.omit({ pods: true });

/** A hub of protocol 8: it refuses a hello its schema does not know, and sends a whole set without hashes. */
class OldHub {
  readonly hellos: Array<{ offered: boolean; refused: boolean }> = [];
  welcomed = 0;
  private readonly wss: WebSocketServer;
  private constructor(
    readonly port: number,
    wss: WebSocketServer,
  ) {
    this.wss = wss;
    wss.on('connection', (ws) =>
      ws.on('message', (data) => {
        const raw = decodeFrame(NodeToHub, data as Buffer);
        if (raw.type !== 'hello') return;
        const offered = raw.pods !== undefined;
        try {
          decodeFrame(OldHello, data as Buffer);
        } catch {
          this.hellos.push({ offered, refused: true });
          return void ws.close(1002, 'bad hello');
        }
        this.hellos.push({ offered, refused: false });
        this.welcomed++;
        const send = (m: HubToNode): void => ws.send(encodeFrame(m));
        send({ type: 'welcome', protocol: 8, nodeName: raw.node.name, heartbeatIntervalSeconds: 30 });
        send({
          type: 'podSync',
          pods: [
            {
              ...pod('from-old-hub', raw.node.name),
              metadata: { name: 'from-old-hub', namespace: 'default', uid: 'u-old' },
            },
          ],
        });
        send({ type: 'serviceSync', services: [] });
      }),
    );
  }

  static async start(): Promise<OldHub> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    return new OldHub((wss.address() as AddressInfo).port, wss);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
