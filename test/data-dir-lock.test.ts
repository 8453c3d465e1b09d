/**
 * One process per data dir (issue 21), with real processes: a second edge-hub on the hub's --data-dir
 * exits non-zero saying "data dir … in use by pid N" and the first keeps serving writes; the same for a
 * second edge-node on a node's data dir; a SIGKILLed hub's stale lock does not block its restart; the
 * data dirs are 0700.
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, Proc, ROOT, freePort, kind } from './support/cluster.js';
import type { KubeObject } from '../src/api/index.js';

const NODE = { name: 'lock-1', address: '127.0.20.2' };

describe('data dir lock: one hub and one agent per data dir', () => {
  const cluster = new Cluster(['--heartbeat-interval', '500ms']);

  beforeAll(async () => {
    await cluster.start([NODE]);
  }, 120_000);

  afterAll(async () => {
    await cluster.stop();
  });

  const run = async (bin: string, args: string[]): Promise<{ code: number | null; err: string }> => {
    const p = new Proc(
      spawn(process.execPath, [join(ROOT, 'bin', `${bin}.js`), ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, EDGE_LOG_LEVEL: 'warn' },
      }),
    );
    const code = await p.exited;
    return { code, err: p.err };
  };
  const namespace = (name: string) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { k: name } },
  });

  it('refuses a second hub on the same data dir; the first keeps serving writes', async () => {
    const first = cluster.hub!;
    const second = await run('edge-hub', ['--data-dir', cluster.hubDir, '--listen', `127.0.0.1:${await freePort()}`]);
    expect(second.code).not.toBe(0);
    expect(second.err).toContain(`data dir ${cluster.hubDir} in use by pid ${first.child.pid}`);
    expect(first.alive).toBe(true);
    for (let i = 0; i < 5; i++) await cluster.client.create(kind('namespaces'), namespace(`after-${i}`));
    const list = await cluster.client.list(kind('namespaces'));
    expect(list.items.map((c) => c.metadata.name)).toEqual(expect.arrayContaining(['after-0', 'after-4']));
    expect(statSync(cluster.hubDir).mode & 0o777).toBe(0o700);
  });

  it('refuses a second agent on the same data dir; the first stays Ready', async () => {
    const node = cluster.node(NODE.name);
    const second = await run('edge-node', [
      '--server',
      cluster.url,
      '--token-file',
      join(cluster.hubDir, 'join.token'),
      '--name',
      NODE.name,
      '--address',
      NODE.address,
      '--mesh-port',
      String(await freePort(NODE.address)),
      '--data-dir',
      node.dataDir,
    ]);
    expect(second.code).not.toBe(0);
    expect(second.err).toContain(`data dir ${node.dataDir} in use by pid ${node.proc.child.pid}`);
    expect(node.proc.alive).toBe(true);
    await cluster.waitNodesReady([NODE.name]);
    expect(statSync(node.dataDir).mode & 0o777).toBe(0o700);
  });

  it('a hub killed with SIGKILL leaves a stale lock that its restart takes over', async () => {
    await cluster.client.create(kind('namespaces'), namespace('before-kill'));
    await cluster.hub!.kill('SIGKILL');
    await cluster.startHub();
    const ns = await cluster.client.get<KubeObject & { metadata: { labels: { k: string } } }>(
      kind('namespaces'),
      undefined,
      'before-kill',
    );
    expect(ns.metadata.labels.k).toBe('before-kill');
    // And the new hub holds the lock in turn.
    const third = await run('edge-hub', ['--data-dir', cluster.hubDir, '--listen', `127.0.0.1:${await freePort()}`]);
    expect(third.err).toContain(`in use by pid ${cluster.hub!.child.pid}`);
  });
});
