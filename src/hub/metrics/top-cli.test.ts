/**
 * `edgectl top` against a real hub in this process: a raw node reports usage over a real WebSocket,
 * edgectl (its `run()`, with a real HTTP client) prints it with kubectl's columns and rounding.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { typeByKind } from '../../api/index.js';
import type { Pod } from '../../api/index.js';
import { run } from '../../cli/index.js';
import { captureIO } from '../../cli/testing/index.js';
import { Hub } from '../hub.js';
import { RawNode, until } from '../gateway/testing/raw-node.js';

const POD = typeByKind('v1', 'Pod')!;

let dir: string;
let hub: Hub;
let node: RawNode;
let argvBase: string[];

async function edgectl(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIO();
  const code = await run([...argvBase, ...args], io);
  return { code, out: io.out(), err: io.errText() };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'top-cli-'));
  hub = await Hub.create({
    dataDir: dir,
    host: '127.0.0.1',
    port: 0,
    insecureHttp: true,
    logger: pino({ level: 'silent' }),
  });
  const url = (await hub.start()).url;
  await writeFile(path.join(dir, 'admin.token.txt'), hub.auth.adminToken, { mode: 0o600 });
  argvBase = ['--server', url, '--token-file', path.join(dir, 'admin.token.txt'), '--config', path.join(dir, 'none')];
  // nodeInfo's capacity: 4 cores, 4Gi.
  node = await RawNode.connect(url, hub.auth.joinToken, 'top-node');
  const uids: string[] = [];
  for (const [name, ns] of [
    ['web-1', 'default'],
    ['web-2', 'default'],
    ['sys-1', 'kube-system'],
  ] as const) {
    if (ns !== 'default') await hub.api.ensureNamespace(ns);
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns, labels: { app: name.split('-')[0]! } },
      spec: {
        nodeName: 'top-node',
        containers: [
          { name: 'app', image: 'x.wasm' },
          { name: 'side', image: 'y.wasm' },
        ],
      },
    };
    uids.push((await hub.api.create<Pod>(POD, pod)).metadata.uid ?? '');
  }
  const containers = (cpu: number, mem: number) => [
    { name: 'app', cpuNanoCores: cpu, memoryBytes: mem },
    { name: 'side', cpuNanoCores: 1_000_000, memoryBytes: 1024 * 1024 },
  ];
  node.send({
    type: 'usage',
    timestamp: '2026-12-02T15:00:05Z',
    windowSeconds: 5,
    node: { cpuNanoCores: 1_000_000_000, memoryBytes: 1024 * 1024 * 1024 },
    pods: [
      {
        pod: { namespace: 'default', name: 'web-1', uid: uids[0]! },
        containers: containers(249_000_001, 3.5 * 2 ** 20),
      },
      { pod: { namespace: 'default', name: 'web-2', uid: uids[1]! }, containers: containers(10_000_000, 20 * 2 ** 20) },
      { pod: { namespace: 'kube-system', name: 'sys-1', uid: uids[2]! }, containers: containers(0, 0) },
    ],
  });
  await until(async () => (await edgectl('top', 'pods', '-A')).out.includes('sys-1'), 'the usage to arrive');
});

afterAll(async () => {
  await node.close();
  await hub.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('edgectl top', () => {
  it('prints pods as kubectl top does: millicores rounded up, MiB rounded down, containers summed', async () => {
    const r = await edgectl('top', 'pods');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(
      ['NAME    CPU(cores)   MEMORY(bytes)', 'web-1   251m         4Mi', 'web-2   11m          21Mi', ''].join('\n'),
    );
    const sorted = await edgectl('top', 'pods', '--sort-by', 'memory', '--no-headers');
    expect(sorted.out.split('\n')[0]).toMatch(/^web-2 /);
    const one = await edgectl('top', 'pod', 'web-1', '--containers');
    expect(one.out).toBe(
      [
        'POD     NAME   CPU(cores)   MEMORY(bytes)',
        'web-1   app    250m         3Mi',
        'web-1   side   1m           1Mi',
        '',
      ].join('\n'),
    );
  });

  it('lists every namespace with -A, and filters by label', async () => {
    const all = await edgectl('top', 'pods', '-A', '-l', 'app=sys');
    expect(all.out).toBe(
      ['NAMESPACE     NAME    CPU(cores)   MEMORY(bytes)', 'kube-system   sys-1   1m           1Mi', ''].join('\n'),
    );
    const none = await edgectl('top', 'pods', '-l', 'app=nothing');
    expect(none.code).toBe(0);
    expect(none.err).toBe('No resources found in default namespace.\n');
  });

  it('prints nodes with their share of allocatable', async () => {
    const r = await edgectl('top', 'nodes');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(
      [
        'NAME       CPU(cores)   CPU(%)   MEMORY(bytes)   MEMORY(%)',
        'top-node   1000m        25%      1024Mi          25%',
        '',
      ].join('\n'),
    );
  });

  it('refuses a bad --sort-by and a name with -A, and reports a pod without metrics', async () => {
    expect((await edgectl('top', 'pods', '--sort-by', 'age')).err).toContain('--sort-by accepts only cpu or memory');
    expect((await edgectl('top', 'pods', 'web-1', '-A')).err).toContain('across all namespaces');
    const missing = await edgectl('top', 'pod', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('podmetrics.metrics.k8s.io "default/nope" not found');
  });
});
