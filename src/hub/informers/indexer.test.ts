import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { systemClock, typeByKind, type Pod } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { ObjectRegistry } from '../registry/index.js';
import { SqliteStore } from '../store/index.js';
import { InformerFactory } from './factory.js';
import { BY_CONTROLLER_UID, BY_NODE_NAME, controllerUid, nodeNameOf } from './indexer.js';

const POD = typeByKind('v1', 'Pod')!;

let dir: string;
let store: SqliteStore;
let api: ObjectRegistry;
let informers: InformerFactory;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'indexer-'));
  store = await SqliteStore.create({ path: join(dir, 'hub.db'), logger: silentLogger() });
  api = new ObjectRegistry({ store, clock: systemClock, logger: silentLogger() });
  await api.ensureNamespace('default');
  informers = new InformerFactory(api, silentLogger());
});
afterEach(async () => {
  informers.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const pod = (name: string, owner: string | undefined, nodeName?: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace: 'default',
    ...(owner
      ? {
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: `uid-${owner}`, controller: true },
          ],
        }
      : {}),
  },
  spec: { containers: [{ name: 'main', image: 'hello.wasm' }], ...(nodeName ? { nodeName } : {}) },
});

const names = (pods: Pod[]): string[] => pods.map((p) => p.metadata.name ?? '').sort();

it('indexes pods by controller uid and by node, following creates, updates and deletes', async () => {
  await api.create(POD, pod('before', 'rs-a'));
  const pods = informers.for<Pod>('v1', 'Pod');
  await informers.start();
  // An index added after the cache filled is built from what it holds.
  pods.addIndex(BY_CONTROLLER_UID, controllerUid);
  pods.addIndex(BY_CONTROLLER_UID, () => ['ignored']); // the same name again: a no-op
  pods.addIndex(BY_NODE_NAME, nodeNameOf);
  expect(names(pods.byIndex(BY_CONTROLLER_UID, 'uid-rs-a'))).toEqual(['before']);

  await api.create(POD, pod('a2', 'rs-a', 'pi-1'));
  await api.create(POD, pod('b1', 'rs-b', 'pi-1'));
  await api.create(POD, pod('loose', undefined));
  await vi.waitFor(() => expect(pods.size).toBe(4));
  expect(names(pods.byIndex(BY_CONTROLLER_UID, 'uid-rs-a'))).toEqual(['a2', 'before']);
  expect(names(pods.byIndex(BY_CONTROLLER_UID, 'uid-rs-b'))).toEqual(['b1']);
  expect(names(pods.byIndex(BY_NODE_NAME, 'pi-1'))).toEqual(['a2', 'b1']);
  expect(pods.byIndex(BY_NODE_NAME, 'pi-2')).toEqual([]);

  // Binding moves a pod into the node index; deleting takes it out of every index.
  const before = await api.get<Pod>(POD, 'default', 'before');
  await api.update(POD, { ...before, spec: { ...before.spec, nodeName: 'pi-2' } });
  await api.delete(POD, 'default', 'b1', { gracePeriodSeconds: 0 });
  await vi.waitFor(() => expect(names(pods.byIndex(BY_NODE_NAME, 'pi-2'))).toEqual(['before']));
  await vi.waitFor(() => expect(pods.byIndex(BY_CONTROLLER_UID, 'uid-rs-b')).toEqual([]));
  expect(names(pods.byIndex(BY_NODE_NAME, 'pi-1'))).toEqual(['a2']);
  expect(() => pods.byIndex('no-such-index', 'x')).toThrow('no informer index "no-such-index"');
});
