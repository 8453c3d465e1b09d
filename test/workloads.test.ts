/**
 * DaemonSets and Jobs end to end on real nodes: a DaemonSet runs one pod on every node, also on a
 * node that joins later; a Job runs a Wasm command component (`wasi:cli/run`) to its completions.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, ROOT, until, kind } from './support/cluster.js';
import type { KubeObject } from '../src/api/index.js';

const NODES = [
  { name: 'ds-a', address: '127.0.14.2' },
  { name: 'ds-b', address: '127.0.14.3' },
];
const LATE = { name: 'ds-c', address: '127.0.14.4' };
const HELLO = join(ROOT, 'examples/wasm-apps/hello/dist/hello.wasm');
const COUNTDOWN = join(ROOT, 'examples/wasm-apps/countdown/dist/countdown.wasm');

interface PodLike extends KubeObject {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status?: { phase?: string; conditions?: Array<{ type: string; status: string }> };
}

describe('DaemonSet and Job on real nodes', () => {
  const cluster = new Cluster(['--heartbeat-interval', '1s']);
  const podsOf = async (selector: string): Promise<PodLike[]> =>
    (await cluster.client.list<PodLike>(kind('pods'), { namespace: 'default', labelSelector: selector })).items.filter(
      (p) => !p.metadata.deletionTimestamp,
    );

  beforeAll(async () => {
    await cluster.start(NODES);
  }, 120_000);

  afterAll(async () => {
    await cluster.stop();
  });

  it('runs a daemon on every node, including one that joins later', async () => {
    const ds = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: agent, image: ${HELLO}}]
`;
    const r = await cluster.edgectl(['apply', '-f', '-'], ds);
    expect(r.code, r.stderr).toBe(0);
    const running = (n: number) => async (): Promise<PodLike[] | undefined> => {
      const ps = await podsOf('app=agent');
      return ps.length === n && ps.every((p) => p.status?.phase === 'Running') ? ps : undefined;
    };
    const two = await until('a daemon on both nodes', running(2), 60_000);
    expect(new Set(two.map((p) => p.spec.nodeName))).toEqual(new Set(['ds-a', 'ds-b']));
    await cluster.startNode(LATE);
    const three = await until('a daemon on the late node too', running(3), 60_000);
    expect(new Set(three.map((p) => p.spec.nodeName))).toEqual(new Set(['ds-a', 'ds-b', 'ds-c']));
    await until(
      'edgectl get daemonsets to show 3/3/3',
      async () => /agent\s+3\s+3\s+3/.test((await cluster.edgectl(['get', 'daemonsets'])).stdout),
      20_000,
      500,
    );
  }, 120_000);

  it.runIf(existsSync(COUNTDOWN))(
    'runs a Wasm command component as a Job to its completions',
    async () => {
      const job = `apiVersion: batch/v1
kind: Job
metadata: {name: countdown}
spec:
  completions: 3
  parallelism: 2
  template:
    spec:
      containers: [{name: countdown, image: ${COUNTDOWN}, args: ["3"]}]
`;
      const r = await cluster.edgectl(['apply', '-f', '-'], job);
      expect(r.code, r.stderr).toBe(0);
      await until(
        'the Job Complete',
        async () => {
          const j = await cluster.client.get<
            KubeObject & {
              status?: { succeeded?: number; conditions?: Array<{ type: string; status: string }> };
            }
          >(kind('jobs'), 'default', 'countdown');
          return (
            j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') && j.status.succeeded === 3
          );
        },
        90_000,
      );
      const pods = await podsOf('job-name=countdown');
      expect(pods.filter((p) => p.status?.phase === 'Succeeded')).toHaveLength(3);
      const get = await cluster.edgectl(['get', 'jobs']);
      expect(get.stdout).toMatch(/countdown\s+Complete\s+3\/3/);
    },
    120_000,
  );
});
