/** An informer's handlers over a real registry: one handler's failure does not keep the others from the change. */
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import type { ConfigMap } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { openTempRegistry, type TempRegistry } from '../registry/testing/temp-registry.js';
import { typeByKind } from '../../api/index.js';
import { InformerFactory } from './index.js';

const CM = typeByKind('v1', 'ConfigMap')!;

let temp: TempRegistry;
let informers: InformerFactory;

beforeEach(async () => {
  temp = await openTempRegistry({ prefix: 'edge-informer-' });
  informers = new InformerFactory(temp.registry, silentLogger());
});

afterEach(async () => {
  informers.stop();
  await temp.close();
});

it('tells every handler of each change though an earlier one throws', async () => {
  const maps = informers.for<ConfigMap>('v1', 'ConfigMap');
  const seen: string[] = [];
  maps.addHandler({
    onAdd: () => {
      throw new Error('a broken handler');
    },
    onUpdate: () => {
      throw new Error('a broken handler');
    },
    onDelete: () => {
      throw new Error('a broken handler');
    },
  });
  maps.addHandler({
    onAdd: (m) => seen.push(`add ${m.metadata.name}`),
    onUpdate: (_o, m) => seen.push(`update ${m.metadata.name}`),
    onDelete: (m) => seen.push(`delete ${m.metadata.name}`),
  });
  await informers.start();
  const cm = await temp.registry.create<ConfigMap>(CM, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'settings', namespace: 'default' },
    data: { a: '1' },
  });
  await temp.registry.update(CM, { ...cm, data: { a: '2' } });
  await temp.registry.delete(CM, 'default', 'settings');
  await vi.waitFor(() => expect(seen).toEqual(['add settings', 'update settings', 'delete settings']));
  expect(maps.size).toBe(0);
});
