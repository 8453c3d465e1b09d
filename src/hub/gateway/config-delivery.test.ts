/**
 * Config delivery through a real hub's gateway to raw nodes over real WebSockets: each node gets
 * exactly the ConfigMaps/Secrets its pods reference, the set before its pods, changes before the pod
 * that needs them, deletes when no pod needs them any more — and no value in the hub's log.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ConfigObject, Pod, PodSpec } from '../../api/index.js';
import {
  GATEWAY_PATH,
  HubToNode,
  MAX_HUB_FRAME_BYTES,
  MAX_HUB_FRAME_VALUES,
  PROTOCOL_VERSION,
  decodeFrame,
  encodeFrame,
  typeByKind,
} from '../../api/index.js';
import { Hub } from '../hub.js';

const POD = typeByKind('v1', 'Pod')!;
const SECRET = typeByKind('v1', 'Secret')!;
const CM = typeByKind('v1', 'ConfigMap')!;
const VALUE = 'swordfish-value-for-grep';

async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A node speaking the real protocol: says hello, records every frame the hub sends. */
class Node {
  readonly frames: HubToNode[] = [];
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (d) => this.frames.push(decodeFrame(HubToNode, d as Buffer, { maxValues: MAX_HUB_FRAME_VALUES })));
  }

  static async connect(url: string, token: string, name: string): Promise<Node> {
    const ws = new WebSocket(url.replace(/^http/, 'ws') + GATEWAY_PATH, {
      headers: { authorization: `Bearer ${token}` },
      maxPayload: MAX_HUB_FRAME_BYTES,
    });
    await new Promise<void>((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const n = new Node(ws);
    const info = { name, labels: {}, address: '10.0.0.9', meshPort: 7500, arch: 'arm64', os: 'linux' };
    const rest = { runtimes: ['wasm' as const], capacity: { cpu: '4', memory: '4Gi', pods: '110' }, agentVersion: 't' };
    ws.send(
      encodeFrame({
        type: 'hello',
        protocol: PROTOCOL_VERSION,
        instanceId: `instance-${name}`,
        node: { ...info, ...rest },
      }),
    );
    // The welcome ends with the node's Services (`serviceSet` since protocol 2).
    await until(() => n.frames.some((f) => f.type === 'serviceSet'), `the welcome of ${name}`);
    return n;
  }

  types(): string[] {
    return this.frames.map((f) => f.type);
  }

  /** Objects named in config frames, as `type kind/name`. */
  config(): string[] {
    return this.frames.flatMap((f) => {
      if (f.type === 'configSync') return [`configSync ${f.objects.map((o) => `${o.kind}/${o.name}`).join(',')}`];
      if (f.type === 'configUpsert') return [`configUpsert ${f.object.kind}/${f.object.name}`];
      if (f.type === 'configDelete') return [`configDelete ${f.kind}/${f.name}`];
      return [];
    });
  }

  lastObject(kind: string, name: string): ConfigObject | undefined {
    const all = this.frames.flatMap((f) =>
      f.type === 'configSync' ? f.objects : f.type === 'configUpsert' ? [f.object] : [],
    );
    return all.filter((o) => o.kind === kind && o.name === name).at(-1);
  }

  close(): void {
    this.ws.close();
  }
}

const text = (o: ConfigObject | undefined, key: string): string => Buffer.from(o?.data[key] ?? []).toString('utf8');

function pod(name: string, nodeName: string, spec: Partial<PodSpec>): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { nodeName, containers: [{ name: 'c', image: 'x.wasm', ...spec.containers?.[0] }], ...spec },
  };
}

let hub: Hub;
let dir: string;
let url: string;
const logs: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'config-delivery-'));
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  hub = await Hub.create({
    dataDir: dir,
    host: '127.0.0.1',
    port: 0,
    insecureHttp: true,
    logger: pino({ level: 'debug' }, sink),
  });
  url = (await hub.start()).url;
  const meta = (name: string) => ({ name, namespace: 'default' });
  await hub.api.create(SECRET, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta('db'),
    stringData: { password: VALUE },
  });
  await hub.api.create(CM, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta('settings'),
    data: { greeting: 'hi' },
  });
  await hub.api.create(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('unused'), data: { x: 'y' } });
  await hub.api.create(
    POD,
    pod('app', 'node-a', {
      containers: [
        {
          name: 'c',
          image: 'x.wasm',
          env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }],
        },
      ],
      volumes: [{ name: 'cfg', configMap: { name: 'settings' } }],
    }),
  );
});
afterAll(async () => {
  await hub.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('config delivery', () => {
  it('sends each node its own set on connect, before its pods; values as bytes', async () => {
    const a = await Node.connect(url, hub.auth.joinToken, 'node-a');
    const b = await Node.connect(url, hub.auth.joinToken, 'node-b');
    expect(a.config()).toEqual(['configSync ConfigMap/settings,Secret/db']);
    expect(a.types().indexOf('configSync')).toBeLessThan(a.types().indexOf('podSync'));
    expect(text(a.lastObject('Secret', 'db'), 'password')).toBe(VALUE);
    expect(a.lastObject('Secret', 'db')?.secretType).toBe('Opaque');
    expect(text(a.lastObject('ConfigMap', 'settings'), 'greeting')).toBe('hi');
    expect(b.config()).toEqual(['configSync ']);

    // A change reaches the node that needs it, and only that one.
    const s = await hub.api.get(SECRET, 'default', 'db');
    await hub.api.update(SECRET, { ...s, stringData: { password: `${VALUE}-2` } });
    await until(() => text(a.lastObject('Secret', 'db'), 'password') === `${VALUE}-2`, 'the changed secret');
    const cm = await hub.api.get(CM, 'default', 'unused');
    await hub.api.update(CM, { ...cm, data: { x: 'z' } });

    // A pod bound to B that needs the ConfigMap: the object first, then the pod.
    await hub.api.create(
      POD,
      pod('web', 'node-b', {
        containers: [{ name: 'c', image: 'x.wasm', envFrom: [{ configMapRef: { name: 'settings' } }] }],
      }),
    );
    await until(() => b.types().includes('podUpsert'), 'the pod on node-b');
    expect(b.types().indexOf('configUpsert')).toBeLessThan(b.types().indexOf('podUpsert'));
    expect(b.config()).toEqual(['configSync ', 'configUpsert ConfigMap/settings']);

    // A missing reference is simply absent until it is created.
    await hub.api.create(POD, pod('late', 'node-b', { imagePullSecrets: [{ name: 'regcred' }] }));
    await until(() => b.frames.filter((f) => f.type === 'podUpsert').length === 2, 'the second pod');
    expect(b.config()).toHaveLength(2);
    await hub.api.create(SECRET, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'regcred', namespace: 'default' },
      type: 'kubernetes.io/dockerconfigjson',
      stringData: { '.dockerconfigjson': '{"auths":{}}' },
    });
    await until(() => b.config().includes('configUpsert Secret/regcred'), 'the pull secret');
    expect(b.lastObject('Secret', 'regcred')?.secretType).toBe('kubernetes.io/dockerconfigjson');

    // No pod of B needs the ConfigMap any more: it is deleted there, not on A.
    await hub.api.delete(POD, 'default', 'web', { gracePeriodSeconds: 0 });
    await until(() => b.config().includes('configDelete ConfigMap/settings'), 'the delete on node-b');
    expect(a.config().filter((c) => c.startsWith('configDelete'))).toEqual([]);
    // Deleting the object deletes it from the nodes that need it.
    await hub.api.delete(SECRET, 'default', 'regcred');
    await until(() => b.config().includes('configDelete Secret/regcred'), 'the deleted secret');
    expect(a.config().some((c) => c.includes('unused'))).toBe(false);
    a.close();
    b.close();
    expect(logs.join('')).not.toContain(VALUE);
  });
});
