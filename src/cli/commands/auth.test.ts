import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../../hub/testing/index.js';
import { run } from '../main.js';
import { captureIO } from '../testing/index.js';

const VIEWER = 'viewer-token-0123456789';
let hub: TestHub;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgectl-auth-'));
  hub = await startTestHub({ users: [{ name: 'viewer', token: VIEWER, role: 'read-only' }] });
});
afterAll(async () => {
  await hub.close();
  await rm(dir, { recursive: true, force: true });
});

async function edgectl(token: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIO({ env: { EDGE_SERVER: hub.url, EDGE_TOKEN: token, HOME: dir } });
  const code = await run(args, io);
  return { code, out: io.out(), err: io.errText() };
}

it('answers yes (exit 0) or no (exit 1) for the current user, as kubectl auth can-i', async () => {
  expect(await edgectl(VIEWER, 'auth', 'can-i', 'list', 'pods')).toEqual({ code: 0, out: 'yes\n', err: '' });
  expect(await edgectl(VIEWER, 'auth', 'can-i', 'create', 'deployments.apps')).toMatchObject({ code: 1, out: 'no\n' });
  expect(await edgectl(VIEWER, 'auth', 'can-i', 'get', 'secrets/db', '-n', 'default')).toMatchObject({ code: 1 });
  expect(await edgectl(VIEWER, 'auth', 'can-i', 'create', 'pods/a', '--subresource', 'exec')).toMatchObject({
    code: 1,
  });
  expect(await edgectl(VIEWER, 'auth', 'can-i', 'get', 'pods', '--subresource', 'log')).toMatchObject({ code: 0 });
  expect(await edgectl(VIEWER, 'auth', 'can-i', 'get', '/apis')).toMatchObject({ code: 0, out: 'yes\n' });
  expect(await edgectl(hub.adminToken, 'auth', 'can-i', '*', '*')).toMatchObject({ code: 0, out: 'yes\n' });
  expect(await edgectl(VIEWER, 'auth', 'can-i', 'list', 'nodes', '-q')).toEqual({ code: 1, out: '', err: '' });
  // The review asked exactly what the flags say.
  expect(hub.requests.filter((r) => r.includes('selfsubjectaccessreviews')).length).toBe(8);
});

it('prints the RBAC kinds in get', async () => {
  const r = await edgectl(hub.adminToken, 'get', 'clusterroles,clusterrolebindings');
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/clusterrole\.rbac\.authorization\.k8s\.io\/view\s+\d{4}-/);
  expect(r.out).toMatch(/clusterrolebinding\.rbac\.authorization\.k8s\.io\/cluster-admin\s+ClusterRole\/cluster-admin/);
  const d = await edgectl(hub.adminToken, 'describe', 'clusterrolebinding', 'cluster-admin');
  expect(d.code).toBe(0);
  expect(d.out).toContain('system:masters');
});
