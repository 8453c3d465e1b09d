/**
 * A node's hello racing another writer of its Node object, over a real registry and SQLite store: the
 * hub re-reads and re-applies its labels on a conflict (what failed hellos in the 10,000-node reconnect storm:
 * `Operation cannot be fulfilled on nodes …`), and gives up with the conflict after a bounded number of
 * lost races.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject, Node, NodeInfo } from '../../api/index.js';
import { ConflictError, typeByKind } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { InformerFactory, type Informer } from '../informers/index.js';
import { ObjectRegistry, type ObjectAPI } from '../registry/index.js';
import { delegatingApi } from '../registry/testing/delegating-api.js';
import { SqliteStore } from '../store/index.js';
import { registerNode } from './node-registration.js';

const NODE = typeByKind('v1', 'Node')!;

const info = (zone: string): NodeInfo => ({
  name: 'edge-1',
  labels: { zone },
  address: '127.0.136.1',
  meshPort: 7443,
  arch: 'amd64',
  os: 'linux',
  runtimes: ['wasm'],
  capacity: { cpu: 2, memory: 1024 ** 3, pods: 110 },
  agentVersion: 'v0.0.0-test',
});

/**
 * The real registry, except that the first `races` reads of the Node are each followed by another
 * writer's status write (a Ready condition, as the node lifecycle controller writes) before the caller
 * gets the object it read: its write then carries a stale resourceVersion.
 */
function racingApi(api: ObjectRegistry, races: number): { api: ObjectAPI; raced: () => number } {
  let raced = 0;
  const wrapped = delegatingApi(api, {
    get: async <T extends KubeObject>(type: typeof NODE, ns: string | undefined, name: string): Promise<T> => {
      const read = await api.get<T>(type, ns, name);
      if (type.kind === 'Node' && raced < races) {
        raced++;
        const node = read as unknown as Node;
        await api.updateStatus<Node>(NODE, {
          ...node,
          status: { ...node.status, conditions: [{ type: 'Ready', status: 'Unknown', reason: `race-${raced}` }] },
        });
      }
      return read;
    },
  });
  return { api: wrapped, raced: () => raced };
}

describe('registerNode under a concurrent Node write', () => {
  let dir: string;
  let store: SqliteStore;
  let api: ObjectRegistry;
  let informers: InformerFactory;
  let nodes: Informer<Node>;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edge-register-'));
    store = await SqliteStore.create({ path: join(dir, 'db'), logger: silentLogger() });
    api = new ObjectRegistry({ store, clock: { now: () => Date.now() }, logger: silentLogger() });
    informers = new InformerFactory(api, silentLogger());
    nodes = informers.for<Node>('v1', 'Node');
    await informers.start();
    // The node's first hello, before the restart.
    await registerNode(api, nodes, info('a'));
  });

  afterEach(async () => {
    informers.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('re-reads and re-applies the hello when another writer changed the Node meanwhile, keeping its conditions', async () => {
    const racing = racingApi(api, 2);
    // The reconnect reports a new label, so the hello must write the Node.
    const node = await registerNode(racing.api, nodes, info('b'));
    expect(racing.raced()).toBe(2);
    const stored = await api.get<Node>(NODE, undefined, 'edge-1');
    expect(stored.metadata.labels?.zone).toBe('b');
    expect(node.metadata.resourceVersion).toBe(stored.metadata.resourceVersion);
    // The other writer's condition survived: the retry applied the hello over the fresh read.
    expect(stored.status?.conditions).toEqual([{ type: 'Ready', status: 'Unknown', reason: 'race-2' }]);
  });

  it('fails the hello with the conflict after five lost races instead of retrying forever', async () => {
    const racing = racingApi(api, 100);
    await expect(registerNode(racing.api, nodes, info('c'))).rejects.toBeInstanceOf(ConflictError);
    expect(racing.raced()).toBe(5);
    expect((await api.get<Node>(NODE, undefined, 'edge-1')).metadata.labels?.zone).toBe('a');
  });
});
