/**
 * The node lifecycle controller is built once per hub, but its sweep writes only while the hub leads:
 * through `fenceObjectAPI` over `CurrentTerm`, no write once its term ended (a tick in flight when
 * leadership is lost writes nothing), while `markReady` (any hub, on a node's hello) is not fenced.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Logger, Node, Pod } from '../../api/index.js';
import { nodeReadyStatus, typeByKind } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { until } from '../../../test/support/cluster.js';
import { NodeLifecycleController } from '../controllers/index.js';
import { InformerFactory } from '../informers/index.js';
import { EventRecorder } from '../reconcile/index.js';
import { ObjectRegistry } from '../registry/index.js';
import { SqliteStore } from '../store/index.js';
import { CurrentTerm, LeaderTerm, NotLeaderError, fenceObjectAPI } from './fenced-api.js';

const NODE = typeByKind('v1', 'Node')!;

/** A silent logger that keeps the sweep's failures that are a fenced write (NotLeaderError's message). */
function refusalsTo(out: string[]): Logger {
  const logger: Logger = new Proxy(silentLogger(), {
    get(target, prop, receiver) {
      if (prop === 'warn')
        return (fields: { err?: unknown }) => {
          if (fields?.err === new NotLeaderError().message) out.push(fields.err);
        };
      if (prop === 'child') return () => logger;
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  return logger;
}

let dir: string;
let store: SqliteStore;
let api: ObjectRegistry;
let now: number;
const clock = { now: (): number => now };

beforeEach(async () => {
  now = Date.parse('2026-12-03T08:00:00Z');
  dir = mkdtempSync(join(tmpdir(), 'edge-fenced-sweep-'));
  store = await SqliteStore.create({ path: join(dir, 'db'), logger: silentLogger() });
  api = new ObjectRegistry({ store, clock, logger: silentLogger() });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the node lifecycle sweep under a leadership fence', () => {
  it('marks a silent node Unknown in a term, writes nothing once the term ended, and lets markReady write without one', async () => {
    const informers = new InformerFactory(api, silentLogger());
    const nodes = informers.for<Node>('v1', 'Node');
    const pods = informers.for<Pod>('v1', 'Pod');
    const n = await api.create<Node>(NODE, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'quiet' } });
    await api.updateStatus(NODE, { ...n, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
    await informers.start();
    const term = new CurrentTerm();
    const refused: string[] = [];
    const lifecycle = new NodeLifecycleController({
      api,
      sweepApi: fenceObjectAPI(api, term),
      nodes,
      pods,
      events: new EventRecorder({ api, clock, logger: silentLogger(), component: 'test' }),
      clock,
      logger: refusalsTo(refused),
      gracePeriodSeconds: 2,
      evictionTimeoutSeconds: 5,
      tickMs: 20,
      monotonic: () => 0, // no stall of the loop counts: this test moves its own clock
    });
    const ready = (): string | undefined => nodeReadyStatus(nodes.get(undefined, 'quiet')!);
    try {
      const leading = new LeaderTerm();
      term.enter(leading);
      lifecycle.start();
      now += 10_000; // far past the grace period: the leader's sweep marks the silent node Unknown
      await until('the node marked Unknown in the term', () => ready() === 'Unknown', 5_000, 20);

      // Leadership lost; the sweep is not stopped yet (the terms stop loops in the background).
      leading.end();
      // markReady (the gateway's, on any hub, on the node's hello) still writes.
      // (Retried on a conflict: the term's last writes, the taint after the status, may still land.)
      await until(
        'markReady written',
        async () =>
          nodeReadyStatus(await lifecycle.markReady(await api.get<Node>(NODE, undefined, 'quiet'))) === 'True',
        5_000,
        20,
      );
      await until('the node Ready again', () => ready() === 'True', 5_000, 20);
      // The node falls silent again: the sweep tries to mark it Unknown and the fence refuses.
      now += 10_000;
      await until('a sweep write refused', () => refused.length > 0, 5_000, 20);
      expect(ready()).toBe('True');
      expect((await api.get<Node>(NODE, undefined, 'quiet')).status?.conditions?.[0]?.status).toBe('True');
    } finally {
      await lifecycle.stop();
      informers.stop();
    }
  });
});
