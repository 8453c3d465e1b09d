/**
 * One agent per node name (issue 21), with real processes: a second edge-node started with the same
 * --name and join token on a copy of the first one's data dir (a cloned SD card) is refused while the
 * first is connected — it exits 1 saying where the name is connected from, without starting any of
 * the copied pods; the hub records a DuplicateNodeRejected Event and logs it; the first node keeps
 * its address and its pod. Once the first is gone, the copy is let in and runs the pod.
 */
import { spawn } from 'node:child_process';
import { cpSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, Proc, ROOT, freePort, until, kind } from './support/cluster.js';
import type { KubeObject } from '../src/api/index.js';

const NODE = { name: 'dup-1', address: '127.0.21.2' };
const COPY_ADDRESS = '127.0.21.3';

interface PodLike extends KubeObject {
  metadata: { name: string; uid: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status?: { phase?: string; containerStatuses?: Array<{ restartCount: number; ready: boolean }> };
}
interface EventLike extends KubeObject {
  reason: string;
  type: string;
  message: string;
  involvedObject: { kind: string; name: string };
}

describe('duplicate node name with the same credential', () => {
  const cluster = new Cluster(['--heartbeat-interval', '500ms']);
  const copyDir = join(cluster.dir, 'dup-1-copy');
  let copy: Proc | undefined;

  beforeAll(async () => {
    await cluster.start([NODE]);
  }, 120_000);

  afterAll(async () => {
    await copy?.kill('SIGKILL');
    await cluster.stop();
  });

  const pods = async (): Promise<PodLike[]> =>
    (
      await cluster.client.list<PodLike>(kind('pods'), { namespace: 'default', labelSelector: 'app=dup-web' })
    ).items.filter((p) => !p.metadata.deletionTimestamp);
  const startCopy = async (): Promise<Proc> =>
    new Proc(
      spawn(
        process.execPath,
        [
          join(ROOT, 'bin', 'edge-node.js'),
          '--server',
          cluster.url,
          '--token-file',
          join(cluster.hubDir, 'join.token'),
          '--name',
          NODE.name,
          '--address',
          COPY_ADDRESS,
          '--mesh-port',
          String(await freePort(COPY_ADDRESS)),
          '--data-dir',
          copyDir,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EDGE_LOG_LEVEL: 'debug' } },
      ),
    );

  it('refuses the copy while the first is connected; the copy exits 1 without starting a pod', async () => {
    const wasm = join(ROOT, 'examples/wasm-apps/hello/dist/hello.wasm');
    const manifest = `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: dup-web}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: dup-web}}\n  template:\n    metadata: {labels: {app: dup-web}}\n    spec:\n      nodeSelector: {kubernetes.io/hostname: dup-1}\n      containers: [{name: web, image: ${wasm}, ports: [{containerPort: 8080}]}]\n`;
    const r = await cluster.edgectl(['apply', '-f', '-'], manifest);
    expect(r.code, r.stderr).toBe(0);
    const running = await until('dup-web Running on dup-1', async () =>
      (await pods()).find((p) => p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.ready),
    );
    expect(running.spec.nodeName).toBe(NODE.name);

    // A cloned SD card: the whole data dir, local pod state included (not the lock, which names a
    // process of the other device).
    cpSync(cluster.node(NODE.name).dataDir, copyDir, {
      recursive: true,
      filter: (src) => basename(src) !== '.edgeplane.lock',
    });
    copy = await startCopy();
    const code = await copy.exited;
    expect(code, copy.err).toBe(1);
    expect(copy.err).toMatch(
      /edge-node: node name dup-1 is already connected from 127\.0\.21\.2 \(peer [\d.:]+\); is this a copy of another node's data dir\?/,
    );
    // Its log (debug level) shows nothing restored and no component loaded (the next test shows the
    // same copy logging 'compiled core modules' once it does run the pod).
    expect(copy.err).not.toContain('restoring pods from local state');
    expect(copy.err).not.toContain('compiled core modules');

    // The hub logged it and recorded a Warning Event on the Node.
    expect(cluster.hub!.err).toContain('DuplicateNodeRejected');
    const events = await cluster.client.list<EventLike>(kind('events'), { namespace: 'default' });
    const ev = events.items.find((e) => e.reason === 'DuplicateNodeRejected');
    expect(ev).toMatchObject({ type: 'Warning', involvedObject: { kind: 'Node', name: NODE.name } });
    expect(ev?.message).toContain(`reported address ${COPY_ADDRESS}`);

    // The first node is untouched: alive, Ready, its address on the Node, its pod running once.
    expect(cluster.node(NODE.name).proc.alive).toBe(true);
    await cluster.waitNodesReady([NODE.name]);
    const node = await cluster.client.get<
      KubeObject & {
        status: { addresses: Array<{ type: string; address: string }> };
      }
    >(kind('nodes'), undefined, `${NODE.name}`);
    expect(node.status.addresses.find((a) => a.type === 'InternalIP')?.address).toBe(NODE.address);
    const after = await pods();
    expect(after.map((p) => [p.metadata.uid, p.status?.phase, p.status?.containerStatuses?.[0]?.restartCount])).toEqual(
      [[running.metadata.uid, 'Running', 0]],
    );
  }, 120_000);

  it('lets the copy in once the first node is gone, and it runs the pod', async () => {
    await cluster.node(NODE.name).proc.kill('SIGKILL');
    copy = await startCopy();
    await until(
      'the copy to hold dup-1',
      async () => {
        const node = await cluster.client.get<
          KubeObject & {
            status: { addresses: Array<{ type: string; address: string }> };
          }
        >(kind('nodes'), undefined, `${NODE.name}`);
        return node.status.addresses.find((a) => a.type === 'InternalIP')?.address === COPY_ADDRESS;
      },
      30_000,
    );
    // The pod's status still reads Running from the first node: wait for the copy's own doing.
    await until('the copy to load the component', () => copy!.err.includes('compiled core modules'), 60_000);
    await until(
      'dup-web Running again',
      async () => (await pods()).find((p) => p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.ready),
      60_000,
    );
    expect(copy.alive).toBe(true);
  }, 120_000);
});
