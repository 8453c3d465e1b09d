/**
 * Config delivery through a real hub's gateway to raw nodes over real WebSockets: each node gets
 * exactly the ConfigMaps/Secrets its pods reference, the set before its pods, changes before the pod
 * that needs them, deletes when no pod needs them any more — and no value in the hub's log.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigObject, Pod, PodSpec } from '../../api/index.js';
import { typeByKind } from '../../api/index.js';
import { RawNode, startGatewayHub, until, type TestHub } from './testing/raw-node.js';

const POD = typeByKind('v1', 'Pod')!;
const SECRET = typeByKind('v1', 'Secret')!;
const CM = typeByKind('v1', 'ConfigMap')!;
const VALUE = 'swordfish-value-for-grep';

/** The types of the frames a node was sent, in order. */
const types = (n: RawNode): string[] => n.frames.map((f) => f.msg.type);

/** Objects named in the config frames a node was sent, as `type kind/name`. */
function config(n: RawNode): string[] {
  return n.frames.flatMap(({ msg: f }) => {
    if (f.type === 'configSync') return [`configSync ${f.objects.map((o) => `${o.kind}/${o.name}`).join(',')}`];
    if (f.type === 'configUpsert') return [`configUpsert ${f.object.kind}/${f.object.name}`];
    if (f.type === 'configDelete') return [`configDelete ${f.kind}/${f.name}`];
    return [];
  });
}

/** The latest copy of an object a node was sent. */
function lastObject(n: RawNode, kind: string, name: string): ConfigObject | undefined {
  const all = n.frames.flatMap(({ msg: f }) =>
    f.type === 'configSync' ? f.objects : f.type === 'configUpsert' ? [f.object] : [],
  );
  return all.filter((o) => o.kind === kind && o.name === name).at(-1);
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

let test: TestHub;
const logs: string[] = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  test = await startGatewayHub({}, { logger: pino({ level: 'debug' }, sink) });
  const hub = test.hub;
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
afterAll(() => test.stop());

describe('config delivery', () => {
  it('sends each node its own set on connect, before its pods; values as bytes', async () => {
    const { hub, url, token } = test;
    const a = await RawNode.connect(url, token, 'node-a');
    const b = await RawNode.connect(url, token, 'node-b');
    expect(config(a)).toEqual(['configSync ConfigMap/settings,Secret/db']);
    expect(types(a).indexOf('configSync')).toBeLessThan(types(a).indexOf('podSync'));
    expect(text(lastObject(a, 'Secret', 'db'), 'password')).toBe(VALUE);
    expect(lastObject(a, 'Secret', 'db')?.secretType).toBe('Opaque');
    expect(text(lastObject(a, 'ConfigMap', 'settings'), 'greeting')).toBe('hi');
    expect(config(b)).toEqual(['configSync ']);

    // A change reaches the node that needs it, and only that one.
    const s = await hub.api.get(SECRET, 'default', 'db');
    await hub.api.update(SECRET, { ...s, stringData: { password: `${VALUE}-2` } });
    await until(() => text(lastObject(a, 'Secret', 'db'), 'password') === `${VALUE}-2`, 'the changed secret');
    const cm = await hub.api.get(CM, 'default', 'unused');
    await hub.api.update(CM, { ...cm, data: { x: 'z' } });

    // A pod bound to B that needs the ConfigMap: the object first, then the pod.
    await hub.api.create(
      POD,
      pod('web', 'node-b', {
        containers: [{ name: 'c', image: 'x.wasm', envFrom: [{ configMapRef: { name: 'settings' } }] }],
      }),
    );
    await until(() => types(b).includes('podUpsert'), 'the pod on node-b');
    expect(types(b).indexOf('configUpsert')).toBeLessThan(types(b).indexOf('podUpsert'));
    expect(config(b)).toEqual(['configSync ', 'configUpsert ConfigMap/settings']);

    // A missing reference is simply absent until it is created.
    await hub.api.create(POD, pod('late', 'node-b', { imagePullSecrets: [{ name: 'regcred' }] }));
    await until(() => b.of('podUpsert').length === 2, 'the second pod');
    expect(config(b)).toHaveLength(2);
    await hub.api.create(SECRET, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'regcred', namespace: 'default' },
      type: 'kubernetes.io/dockerconfigjson',
      stringData: { '.dockerconfigjson': '{"auths":{}}' },
    });
    await until(() => config(b).includes('configUpsert Secret/regcred'), 'the pull secret');
    expect(lastObject(b, 'Secret', 'regcred')?.secretType).toBe('kubernetes.io/dockerconfigjson');

    // No pod of B needs the ConfigMap any more: it is deleted there, not on A.
    await hub.api.delete(POD, 'default', 'web', { gracePeriodSeconds: 0 });
    await until(() => config(b).includes('configDelete ConfigMap/settings'), 'the delete on node-b');
    expect(config(a).filter((c) => c.startsWith('configDelete'))).toEqual([]);
    // Deleting the object deletes it from the nodes that need it.
    await hub.api.delete(SECRET, 'default', 'regcred');
    await until(() => config(b).includes('configDelete Secret/regcred'), 'the deleted secret');
    expect(config(a).some((c) => c.includes('unused'))).toBe(false);
    await a.close();
    await b.close();
    expect(logs.join('')).not.toContain(VALUE);
  });
});
