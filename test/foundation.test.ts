/**
 * The Foundation end to end: a real hub and two real edge-node processes on loopback addresses,
 * driven with edgectl as a user would. Apply the hello example, reach it through both nodes'
 * NodePort, see it load-balanced over every replica, replace a deleted pod, survive a hub kill -9,
 * and shrug off garbage frames, bad tokens and malformed manifests.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { GATEWAY_PATH, HubToNode, decodeFrame, encodeFrame, type KubeObject } from '../src/api/index.js';
import { Cluster, ROOT, httpGet, until, kind } from './support/cluster.js';

const HELLO = join(ROOT, 'examples/wasm-apps/hello/hello.yaml');
const NODES = [
  { name: 'pi-1', address: '127.0.10.2', labels: { zone: 'a' } },
  { name: 'pi-2', address: '127.0.10.3', labels: { zone: 'b' } },
];

interface PodLike extends KubeObject {
  metadata: { name: string; uid: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status?: {
    phase?: string;
    conditions?: Array<{ type: string; status: string }>;
    containerStatuses?: Array<{ restartCount: number }>;
  };
}

const ready = (p: PodLike): boolean =>
  p.status?.phase === 'Running' &&
  (p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false);

describe('foundation: edgectl apply → load-balanced Wasm service on two nodes', () => {
  // A short request deadline so the endless-loop case ends quickly.
  const cluster = new Cluster(
    ['--node-grace-period', '2s', '--heartbeat-interval', '500ms'],
    ['--request-timeout', '3s'],
  );

  const helloPods = async (): Promise<PodLike[]> =>
    (
      await cluster.client.list<PodLike>(kind('pods'), { namespace: 'default', labelSelector: 'app=hello' })
    ).items.filter((p) => !p.metadata.deletionTimestamp);

  beforeAll(async () => {
    await cluster.start(NODES);
  }, 120_000);

  afterAll(async () => {
    await cluster.stop();
  });

  it('lists both nodes Ready with arch, runtimes and capacity', async () => {
    const r = await cluster.edgectl(['get', 'nodes']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/NAME\s+STATUS/);
    for (const n of NODES) expect(r.stdout).toMatch(new RegExp(`${n.name}\\s+Ready`));
    expect(r.stdout).toMatch(/wasm/);
  });

  it('applies the example and runs 4 Ready replicas spread over both nodes', async () => {
    const r = await cluster.edgectl(['apply', '-f', HELLO]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/deployment\.apps\/hello created/);
    expect(r.stdout).toMatch(/service\/hello created/);
    const pods = await until(
      '4 Ready hello pods',
      async () => {
        const ps = await helloPods();
        return ps.length === 4 && ps.every(ready) ? ps : undefined;
      },
      90_000,
    );
    expect(new Set(pods.map((p) => p.spec.nodeName))).toEqual(new Set(['pi-1', 'pi-2']));
    const wide = await cluster.edgectl(['get', 'pods', '-o', 'wide']);
    expect(wide.stdout).toMatch(/hello-\S+\s+1\/1\s+Running/);
  }, 120_000);

  it('applying the same file again changes nothing', async () => {
    type Deployment = KubeObject & {
      metadata: { resourceVersion: string; generation?: number };
      status?: { observedGeneration?: number; replicas?: number; updatedReplicas?: number; availableReplicas?: number };
    };
    // Ready pods come before the Deployment's own status catches up (its status writes are rate-limited,
    // and each moves its resourceVersion): compare once it has settled.
    const before = await until(
      'the Deployment status to settle at 4 available',
      async () => {
        const d = await cluster.client.get<Deployment>(kind('deployments'), 'default', 'hello');
        const st = d.status ?? {};
        const settled =
          st.observedGeneration === d.metadata.generation &&
          st.replicas === 4 &&
          st.updatedReplicas === 4 &&
          st.availableReplicas === 4;
        return settled ? d : undefined;
      },
      60_000,
    );
    const r = await cluster.edgectl(['apply', '-f', HELLO]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/deployment\.apps\/hello unchanged/);
    const after = await cluster.client.get<Deployment>(kind('deployments'), 'default', 'hello');
    expect(after.metadata.generation).toBe(before.metadata.generation);
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('answers on both nodes and spreads requests over all replicas', async () => {
    const pods = await helloPods();
    const seen = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const node = NODES[i % 2]!;
      const res = await httpGet(`http://${node.address}:30080/`);
      expect(res.status).toBe(200);
      const body = JSON.parse(res.body) as { message: string; pod: string; node: string };
      expect(body.message).toBe('hello from Edgeplane');
      seen.set(body.pod, (seen.get(body.pod) ?? 0) + 1);
    }
    expect(new Set(seen.keys())).toEqual(new Set(pods.map((p) => p.metadata.name)));
  }, 60_000);

  it('scales, shows logs, describes with events, and prints lists as kind List', async () => {
    const scaled = await cluster.edgectl(['scale', 'deployment/hello', '--replicas=6']);
    expect(scaled.code, scaled.stderr).toBe(0);
    expect(scaled.stdout).toMatch(/deployment\.apps\/hello scaled/);
    await until(
      '6 Ready',
      async () => {
        const ps = await helloPods();
        return ps.length === 6 && ps.every(ready);
      },
      60_000,
    );
    expect((await cluster.edgectl(['scale', 'deployment', 'hello', '--replicas', '4'])).code).toBe(0);
    await until('back to 4', async () => (await helloPods()).length === 4, 60_000);

    const json = await cluster.edgectl(['get', 'pods', '-l', 'app=hello', '-o', 'json']);
    const list = JSON.parse(json.stdout) as { apiVersion: string; kind: string; items: PodLike[] };
    expect(list).toMatchObject({ apiVersion: 'v1', kind: 'List' });
    const pod = list.items.find((p) => !p.metadata.deletionTimestamp && ready(p))!;
    // Round-robin over the 4 replicas from each node: every pod serves, and logs its first request.
    for (let i = 0; i < 16; i++) expect((await httpGet(`http://${NODES[i % 2]!.address}:30080/`)).status).toBe(200);
    const logs = await until(
      'the pod to log its first request',
      async () => {
        const r = await cluster.edgectl(['logs', pod.metadata.name]);
        return r.code === 0 &&
          r.stdout.includes(`hello: ${pod.metadata.name} on ${pod.spec.nodeName} has served 1 request(s)`)
          ? r
          : undefined;
      },
      20_000,
      500,
    );
    expect(logs.stderr).toBe('');

    const described = await cluster.edgectl(['describe', 'pod', pod.metadata.name]);
    expect(described.code, described.stderr).toBe(0);
    expect(described.stdout).toMatch(/Events:/);
    expect(described.stdout).toMatch(/Scheduled/);
    expect(described.stdout).toMatch(/Started/);
    const missing = await cluster.edgectl(['get', 'pod', 'no-such-pod']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/NotFound/);
  }, 120_000);

  it('replaces a deleted pod', async () => {
    const [victim] = await helloPods();
    const r = await cluster.edgectl(['delete', 'pod', victim!.metadata.name]);
    expect(r.code, r.stderr).toBe(0);
    await until(
      'the replacement Ready and the victim gone',
      async () => {
        const all = (
          await cluster.client.list<PodLike>(kind('pods'), { namespace: 'default', labelSelector: 'app=hello' })
        ).items;
        return all.length === 4 && !all.some((p) => p.metadata.uid === victim!.metadata.uid) && all.every(ready);
      },
      60_000,
    );
  }, 90_000);

  it('refuses wrong tokens with 401 on the API and the node gateway', async () => {
    const res = await cluster.hubFetch('/api/v1/pods', { headers: { authorization: 'Bearer nope' } });
    expect(res.status).toBe(401);
    const status = (await res.json()) as { kind: string; reason: string };
    expect(status).toMatchObject({ kind: 'Status', reason: 'Unauthorized' });
    const anonymous = await cluster.hubFetch('/api/v1/pods');
    expect(anonymous.status).toBe(401);
    const code = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${cluster.url.replace('http', 'ws')}${GATEWAY_PATH}`, {
        ca: cluster.caPem,
        headers: { authorization: 'Bearer nope' },
      });
      ws.on('unexpected-response', (_req, r) => resolve(r.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => undefined);
    });
    expect(code).toBe(401);
  });

  it('answers garbage frames with an error frame and keeps serving', async () => {
    // A node's own credential (its certificate; a TLS hub's gateway takes nothing else), never saying hello.
    const pki = join(cluster.nodes.get(NODES[0]!.name)!.dataDir, 'pki');
    const { readFileSync } = await import('node:fs');
    const ws = new WebSocket(`${cluster.url.replace('http', 'ws')}${GATEWAY_PATH}`, {
      ca: cluster.caPem,
      key: readFileSync(join(pki, 'node.key'), 'utf8'),
      cert: readFileSync(join(pki, 'node.crt'), 'utf8'),
    });
    const frames: unknown[] = [];
    ws.on('message', (d: Buffer) => frames.push(decodeFrame(HubToNode, d)));
    await new Promise((r) => ws.once('open', r));
    ws.send(Buffer.from([0xc1, 0xff, 0x00, 0x13])); // not msgpack
    ws.send(encodeFrame({ type: 'podStatus', pods: 'many' })); // msgpack, wrong shape
    ws.send(encodeFrame({ type: 'teleport' })); // unknown type
    await until('three error frames', () => frames.length >= 3, 5000);
    expect(frames.every((f) => (f as { type: string }).type === 'error')).toBe(true);
    expect(JSON.stringify(frames[1])).toMatch(/pods/);
    ws.close();
    expect(cluster.hub?.alive).toBe(true);
    expect((await httpGet(`http://${NODES[0]!.address}:30080/`)).status).toBe(200);
  });

  it('refuses malformed manifests with errors naming what is wrong', async () => {
    const unknownField = `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: bad}\nspec:\n  selector: {matchLabels: {app: bad}}\n  template:\n    metadata: {labels: {app: bad}}\n    spec:\n      containers: [{name: c, image: x.wasm, imagePolicy: Always}]\n`;
    const r1 = await cluster.edgectl(['apply', '-f', '-'], unknownField);
    expect(r1.code).not.toBe(0);
    expect(r1.stderr).toMatch(/spec\.template\.spec\.containers\[0\]\.imagePolicy/);
    const r2 = await cluster.edgectl(['apply', '-f', '-'], 'kind: [unclosed\n');
    expect(r2.code).not.toBe(0);
    expect(r2.stderr.length).toBeGreaterThan(0);
    const r3 = await cluster.edgectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: Gizmo\nmetadata: {name: g}\n');
    expect(r3.code).not.toBe(0);
    expect(r3.stderr).toMatch(/Gizmo/);
    expect(cluster.hub?.alive).toBe(true);
  });

  it('keeps the node and its other pods serving while a guest loops forever, then restarts it', async () => {
    const wasm = join(ROOT, 'examples/wasm-apps/misbehave/dist/misbehave.wasm');
    const manifest = [
      `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: misbehave}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: misbehave}}\n  template:\n    metadata: {labels: {app: misbehave}}\n    spec:\n      nodeSelector: {zone: a}\n      containers: [{name: misbehave, image: ${wasm}, ports: [{containerPort: 8080}]}]\n`,
      `apiVersion: v1\nkind: Service\nmetadata: {name: misbehave}\nspec:\n  type: NodePort\n  selector: {app: misbehave}\n  ports: [{port: 80, targetPort: 8080, nodePort: 30081}]\n`,
    ].join('---\n');
    const r = await cluster.edgectl(['apply', '-f', '-'], manifest);
    expect(r.code, r.stderr).toBe(0);
    const misbehavePod = async (): Promise<PodLike | undefined> =>
      (
        await cluster.client.list<PodLike>(kind('pods'), { namespace: 'default', labelSelector: 'app=misbehave' })
      ).items.find((p) => !p.metadata.deletionTimestamp);
    await until(
      'misbehave Ready',
      async () => {
        const p = await misbehavePod();
        return p && ready(p);
      },
      60_000,
    );
    const pi1 = NODES[0]!.address;
    // Ready in the API first, then the endpoint reaches the nodes' proxies.
    await until(
      'misbehave reachable through its NodePort',
      async () => (await httpGet(`http://${pi1}:30081/`)).status === 200,
      30_000,
    );
    // Fire the endless loop; do not wait for it.
    let loopOpen = true;
    const looping = httpGet(`http://${pi1}:30081/loop`, 60_000)
      .catch((err: unknown) => ({ status: 0, body: String(err) }))
      .finally(() => (loopOpen = false));
    const started = Date.now();
    let served = 0;
    let servedWhileLooping = 0;
    // The guest spins until its 3 s deadline, longer than the hub's node grace period (2 s): the node
    // keeps heartbeating (stays Ready) and its other pods keep serving all along.
    while (Date.now() - started < 5000) {
      const res = await httpGet(`http://${pi1}:30080/`);
      expect(res.status).toBe(200);
      const node = await cluster.client.get<
        KubeObject & {
          status: { conditions: Array<{ type: string; status: string }> };
        }
      >(kind('nodes'), undefined, 'pi-1');
      expect(node.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
      served++;
      if (loopOpen) servedWhileLooping++;
      await new Promise((res2) => setTimeout(res2, 100));
    }
    // Answers kept coming while the guest spun (a blocked node answers nothing until the deadline);
    // counted against the looping request, not a rate, which a loaded machine would not keep.
    expect(servedWhileLooping, `${served} served in all`).toBeGreaterThanOrEqual(3);
    const nodes = await cluster.client.get<
      KubeObject & {
        status: { conditions: Array<{ type: string; status: string }> };
      }
    >(kind('nodes'), undefined, 'pi-1');
    expect(nodes.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    const loopResult = await looping;
    expect(loopResult.status).toBe(504);
    await until(
      'the looping container restarted and Ready again',
      async () => {
        const p = await misbehavePod();
        return p && ready(p) && (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1;
      },
      60_000,
    );
    expect((await httpGet(`http://${pi1}:30081/`)).status).toBe(200);
  }, 120_000);

  it('marks a silent node NotReady; restarted after kill -9, the node resumes its pod set from its kept position', async () => {
    // Pod-set frames the hub sent so far: a whole set (`podSync`) or the changes since a position (`podResume`).
    const podSetFrames = async (): Promise<{ whole: number; resumed: number }> => {
      const text = await (
        await cluster.hubFetch('/metrics', { headers: { authorization: `Bearer ${cluster.adminToken}` } })
      ).text();
      const sent = (type: string): number =>
        Number(
          new RegExp(`^edgeplane_gateway_frames_total\\{direction="out",type="${type}"\\} (\\d+)$`, 'm').exec(
            text,
          )?.[1] ?? 0,
        );
      return { whole: sent('podSync'), resumed: sent('podResume') };
    };
    const before = await podSetFrames();
    await cluster.node('pi-2').proc.kill('SIGKILL');
    await until(
      'pi-2 not Ready',
      async () => {
        const n = await cluster.client.get<
          KubeObject & {
            status: { conditions: Array<{ type: string; status: string }> };
          }
        >(kind('nodes'), undefined, 'pi-2');
        return n.status.conditions.find((c) => c.type === 'Ready')?.status === 'Unknown';
      },
      30_000,
    );
    const r = await cluster.edgectl(['get', 'nodes']);
    expect(r.stdout).toMatch(/pi-2\s+NotReady/);
    await cluster.startNode(NODES[1]!);
    await cluster.waitNodesReady(['pi-2']);
    // Killed -9, the agent still had its pod-set position on disk: the hub sent what changed since, not the set.
    const after = await podSetFrames();
    expect(after.resumed - before.resumed, 'podResume frames').toBe(1);
    expect(after.whole - before.whole, 'podSync frames').toBe(0);
    await until(
      'pi-2 serving again',
      async () => (await httpGet(`http://${NODES[1]!.address}:30080/`)).status === 200,
      30_000,
    );
    await until(
      'all hello pods Ready again',
      async () => {
        const ps = await helloPods();
        return ps.length === 4 && ps.every(ready);
      },
      30_000,
    );
  }, 60_000);

  it('loses nothing when the hub is killed -9 and restarted', async () => {
    const before = (await cluster.client.list<PodLike>(kind('pods'), { namespace: 'default' })).items
      .map((p) => p.metadata.uid)
      .sort();
    await cluster.hub?.kill('SIGKILL');
    await cluster.startHub();
    const after = (await cluster.client.list<PodLike>(kind('pods'), { namespace: 'default' })).items
      .map((p) => p.metadata.uid)
      .sort();
    expect(after).toEqual(before);
    await cluster.client.get(kind('deployments'), 'default', 'hello');
    await cluster.waitNodesReady(['pi-1', 'pi-2']);
    for (const n of NODES) expect((await httpGet(`http://${n.address}:30080/`)).status).toBe(200);
  }, 60_000);
});
