import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ConfigMap, Deployment, ReplicaSet } from '../../api/index.js';
import { typeByKind } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { Hub } from '../hub.js';
import { CONFIG_HASH_ANNOTATION, ROLLOUT_ON_CONFIG_CHANGE } from './index.js';

const DEPLOY = typeByKind('apps/v1', 'Deployment')!;
const RS = typeByKind('apps/v1', 'ReplicaSet')!;
const CM = typeByKind('v1', 'ConfigMap')!;

async function until<T>(get: () => Promise<T | undefined>, what: string, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const deployment = (name: string, annotations: Record<string, string>): Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'default', annotations },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'c', image: 'x.wasm', envFrom: [{ configMapRef: { name: 'settings' } }] }] },
    },
  },
});

let hub: Hub;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'config-rollout-'));
  hub = await Hub.create({ dataDir: dir, host: '127.0.0.1', port: 0, insecureHttp: true, logger: silentLogger() });
  await hub.start();
});
afterAll(async () => {
  await hub.stop();
  await rm(dir, { recursive: true, force: true });
});

const replicaSets = async (app: string): Promise<ReplicaSet[]> =>
  (await hub.api.list<ReplicaSet>(RS, { namespace: 'default', labelSelector: `app=${app}` })).items;

it('rolls an opted-in Deployment when a ConfigMap it references changes, and only that one', async () => {
  await hub.api.create(CM, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'settings', namespace: 'default' },
    data: { a: '1' },
  });
  await hub.api.create(DEPLOY, deployment('opted', { [ROLLOUT_ON_CONFIG_CHANGE]: 'true' }));
  await hub.api.create(DEPLOY, deployment('plain', {}));
  // Opting in records the current state without a rollout.
  await until(async () => ((await replicaSets('opted')).length === 1 ? true : undefined), 'the first ReplicaSet');
  await until(
    async () =>
      (await hub.api.get<Deployment>(DEPLOY, 'default', 'opted')).metadata.annotations?.[
        'edgeplane.io/config-hash-observed'
      ],
    'the observed hash',
  );
  const before = await hub.api.get<Deployment>(DEPLOY, 'default', 'opted');
  expect(before.spec.template.metadata?.annotations?.[CONFIG_HASH_ANNOTATION]).toBeUndefined();

  const cm = await hub.api.get<ConfigMap>(CM, 'default', 'settings');
  await hub.api.update(CM, { ...cm, data: { a: '2' } });
  const stamped = await until(
    async () =>
      (await hub.api.get<Deployment>(DEPLOY, 'default', 'opted')).spec.template.metadata?.annotations?.[
        CONFIG_HASH_ANNOTATION
      ],
    'the template stamp',
  );
  expect(stamped).toMatch(/^[0-9a-f]{16}$/);
  await until(
    async () => ((await replicaSets('opted')).length === 2 ? true : undefined),
    'a second ReplicaSet (the rollout)',
  );
  const plain = await hub.api.get<Deployment>(DEPLOY, 'default', 'plain');
  expect(plain.spec.template.metadata?.annotations).toBeUndefined();
  expect(await replicaSets('plain')).toHaveLength(1);
});
