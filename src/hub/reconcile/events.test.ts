import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { systemClock, typeByKind, type Event, type KubeObject } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { ObjectRegistry } from '../registry/index.js';
import { SqliteStore } from '../store/index.js';
import { EventRateLimit } from './event-rate.js';
import { EventRecorder } from './events.js';

const EVENT = typeByKind('v1', 'Event')!;
const rs: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name: 'web-1', namespace: 'default', uid: 'rs-uid' },
};

let dir: string;
let store: SqliteStore;
let api: ObjectRegistry;
let rec: EventRecorder;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'events-'));
  store = await SqliteStore.create({ path: join(dir, 'hub.db'), logger: silentLogger() });
  api = new ObjectRegistry({ store, clock: systemClock, logger: silentLogger() });
  await api.ensureNamespace('default');
  rec = new EventRecorder({ api, clock: systemClock, logger: silentLogger(), component: 'test' });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const events = async (): Promise<Event[]> => (await api.list<Event>(EVENT, { namespace: 'default' })).items;

it('combines similar events past ten distinct messages into one counted Event', async () => {
  for (let i = 0; i < 25; i++) await rec.record(rs, 'Normal', 'SuccessfulCreate', `Created pod: web-1-${i}`);
  const stored = await events();
  expect(stored).toHaveLength(11);
  const combined = stored.filter((e) => e.message?.startsWith('(combined from similar events): '));
  expect(combined).toHaveLength(1);
  expect(combined[0]?.count).toBe(15);
  expect(combined[0]?.message).toBe('(combined from similar events): Created pod: web-1-24');
  // Another reason is its own group.
  await rec.record(rs, 'Normal', 'SuccessfulDelete', 'Deleted pod: web-1-0');
  expect(await events()).toHaveLength(12);
});

it('adds up repeats that arrive while their Event is being written: one Event, fewer writes', async () => {
  const before = await store.revision();
  await Promise.all(Array.from({ length: 20 }, () => rec.record(rs, 'Warning', 'BackOff', 'restarting')));
  const stored = await events();
  expect(stored).toHaveLength(1);
  expect(stored[0]?.count).toBe(20);
  // The create, then one update carrying the 19 repeats that queued behind it.
  expect((await store.revision()) - before).toBe(2);
});

it('names each Event after its object with 16 random hex digits', async () => {
  for (let i = 0; i < 20; i++) await rec.record(rs, 'Normal', `Reason${i}`, 'a message');
  const names = (await events()).map((e) => e.metadata.name ?? '');
  expect(names).toHaveLength(20);
  for (const n of names) expect(n).toMatch(/^web-1\.[0-9a-f]{16}$/);
  expect(new Set(names).size).toBe(20);
});

it('drops what the event rate refuses: a new Event is forgotten, a written one keeps its occurrences', async () => {
  let now = Date.parse('2026-12-08T00:00:00Z');
  const clock = { now: () => now };
  const limit = new EventRateLimit(silentLogger(), { perSecond: 1, burst: 2 }, () => now);
  const limited = new EventRecorder({ api, clock, logger: silentLogger(), component: 'test', limit });
  const pod = (name: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `${name}-uid` },
  });
  for (const name of ['a', 'b', 'c', 'd']) await limited.record(pod(name), 'Normal', 'Scheduled', `assigned ${name}`);
  expect((await events()).map((e) => e.involvedObject.name).sort()).toEqual(['a', 'b']);
  expect(limit.dropped).toBe(2);
  // Two more of a's, refused: kept for its next write, which the refilled bucket lets through.
  await limited.record(pod('a'), 'Normal', 'Scheduled', 'assigned a');
  await limited.record(pod('a'), 'Normal', 'Scheduled', 'assigned a');
  now += 1000;
  await limited.record(pod('a'), 'Normal', 'Scheduled', 'assigned a');
  // c was forgotten: its next occurrence is a new Event, once a token is back.
  now += 1000;
  await limited.record(pod('c'), 'Normal', 'Scheduled', 'assigned c');
  const stored = await events();
  expect(stored.find((e) => e.involvedObject.name === 'a')?.count).toBe(4);
  expect(stored.find((e) => e.involvedObject.name === 'c')?.count).toBe(1);
  expect(stored).toHaveLength(3);
  expect(limit.dropped).toBe(4);
  // What a node reports goes through the gateway's own per-node limit, not the hub's.
  const fromNode = limited.forSource('edge-node', 'n1');
  for (const name of ['e', 'f', 'g']) await fromNode.record(pod(name), 'Normal', 'Started', `started ${name}`);
  expect(await events()).toHaveLength(6);
  expect(limit.dropped).toBe(4);
});
