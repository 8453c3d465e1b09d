/**
 * The hub's own Events share one rate (`eventRate`, `--event-qps`/`--event-burst`): past its burst
 * they are dropped, counted on /metrics, and what the rate let through is stored — here a Deployment
 * whose ReplicaSet creates six pods that no node can take (a ScalingReplicaSet, six SuccessfulCreate
 * and six FailedScheduling Events wanted, three written).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { Event } from '../api/index.js';
import { silentLogger } from '../platform/index.js';
import { until } from '../../test/support/poll.js';
import { Hub } from './hub.js';

let dir: string | undefined;
let hub: Hub | undefined;
afterAll(async () => {
  await hub?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it("drops the hub's Events past its event rate and counts them on /metrics", async () => {
  dir = await mkdtemp(join(tmpdir(), 'hub-event-rate-'));
  hub = await Hub.create({
    dataDir: dir,
    host: '127.0.0.1',
    port: 0,
    logger: silentLogger(),
    insecureHttp: true,
    eventRate: { perSecond: 0.001, burst: 3 },
  });
  const { url } = await hub.start();
  const headers = { authorization: `Bearer ${hub.auth.adminToken}`, 'content-type': 'application/json' };
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: 6,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image: 'registry.example/web:1' }] },
      },
    },
  };
  const created = await fetch(`${url}/apis/apps/v1/namespaces/default/deployments`, {
    method: 'POST',
    headers,
    body: JSON.stringify(deployment),
  });
  expect(created.status).toBe(201);

  const dropped = async (): Promise<number> => {
    const text = await (await fetch(`${url}/metrics`, { headers })).text();
    return Number(/^edgeplane_events_dropped_total (\S+)$/m.exec(text)?.[1]);
  };
  // Thirteen Events wanted at least (the unschedulable pods are retried, and each retry wants one more).
  await until('ten Events dropped', async () => (await dropped()) >= 10);
  const list = (await (await fetch(`${url}/api/v1/namespaces/default/events`, { headers })).json()) as {
    items: Event[];
  };
  expect(list.items).toHaveLength(3);
  for (const e of list.items) expect(['ScalingReplicaSet', 'SuccessfulCreate', 'FailedScheduling']).toContain(e.reason);
});

it('refuses an event rate that cannot be met before it opens anything', async () => {
  const badDir = await mkdtemp(join(tmpdir(), 'hub-event-rate-bad-'));
  try {
    const create = (): Promise<Hub> =>
      Hub.create({
        dataDir: badDir,
        host: '127.0.0.1',
        port: 0,
        logger: silentLogger(),
        insecureHttp: true,
        eventRate: { perSecond: 0 },
      });
    await expect(create()).rejects.toThrow('the event rate needs perSecond > 0 and burst >= 1, got 0/s, burst 100');
    // Nothing was left open or locked: the same data dir is refused for the same reason, not "in use".
    await expect(create()).rejects.toThrow(/the event rate needs/);
    expect(existsSync(join(badDir, 'state.db'))).toBe(false);
  } finally {
    await rm(badDir, { recursive: true, force: true });
  }
});
