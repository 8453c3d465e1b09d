/**
 * RBAC end to end: a real hub process and edgectl processes run as different users (tokens from
 * `tokens.json`, passed in EDGE_TOKEN, never on the command line). A `view` user reads but cannot
 * write, exec or read Secrets; an `edit` user deploys but cannot grant roles; a namespace `admin`
 * binds `edit` in its namespace and nowhere else; `edgectl auth can-i` answers for each.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from './support/cluster.js';

const USERS = {
  viewer: 'viewer-e2e-token-0123456789',
  editor: 'editor-e2e-token-0123456789',
  nsadmin: 'nsadmin-e2e-token-0123456789',
  alice: 'alice-e2e-token-0123456789',
} as const;
type User = keyof typeof USERS;

const binding = (kind: string, name: string, role: string, user: string, ns?: string): string => `
apiVersion: rbac.authorization.k8s.io/v1
kind: ${kind}
metadata:
  name: ${name}${ns ? `\n  namespace: ${ns}` : ''}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: ${role}
subjects:
  - kind: User
    name: ${user}
`;

const GRANTS = [
  'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n',
  binding('ClusterRoleBinding', 'viewer-view', 'view', 'viewer'),
  binding('RoleBinding', 'editor-edit', 'edit', 'editor', 'default'),
  binding('RoleBinding', 'nsadmin-admin', 'admin', 'nsadmin', 'team'),
].join('---\n');

const deployment = (ns: string): string => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${ns}
spec:
  replicas: 0
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
        - name: main
          image: hello.wasm
`;

describe('RBAC with edgectl against a real hub', () => {
  const cluster = new Cluster();
  const as = (user: User, args: string[], stdin?: string) => cluster.edgectl(args, stdin, { EDGE_TOKEN: USERS[user] });

  beforeAll(async () => {
    mkdirSync(cluster.hubDir, { recursive: true, mode: 0o700 });
    const users = Object.entries(USERS).map(([name, token]) => ({ name, token, groups: [] }));
    writeFileSync(join(cluster.hubDir, 'tokens.json'), JSON.stringify({ users }), { mode: 0o600 });
    await cluster.startHub();
    const r = await cluster.edgectl(['apply', '-f', '-'], GRANTS);
    expect(r.code, r.stderr).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await cluster.stop();
  });

  it('shows the built-in roles and the bindings to the admin', async () => {
    const r = await cluster.edgectl(['get', 'roles,clusterroles,rolebindings,clusterrolebindings', '-A']);
    expect(r.code, r.stderr).toBe(0);
    for (const role of ['cluster-admin', 'admin', 'edit', 'view'])
      expect(r.stdout).toMatch(new RegExp(`clusterrole\\.rbac\\.authorization\\.k8s\\.io/${role}\\s`));
    expect(r.stdout).toMatch(/team\s+rolebinding\.rbac\.authorization\.k8s\.io\/nsadmin-admin\s+ClusterRole\/admin/);
    const d = await cluster.edgectl(['describe', 'clusterrole', 'view']);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toContain('rbac.authorization.kubernetes.io/autoupdate');
  });

  it('a view user can get but not write, exec or read Secrets', async () => {
    expect((await as('viewer', ['get', 'pods'])).code).toBe(0);
    expect((await as('viewer', ['get', 'deployments', '-n', 'team'])).code).toBe(0);
    const w = await as('viewer', ['apply', '-f', '-'], deployment('default'));
    expect(w.code).toBe(1);
    // edgectl apply is a server-side apply (PATCH), so the refusal names patch, as kubectl apply --server-side's does.
    expect(w.stderr).toContain(
      'Error from server (Forbidden): deployments.apps "web" is forbidden: User "viewer" cannot patch resource "deployments" in API group "apps" in the namespace "default"',
    );
    const exec = await as('viewer', ['auth', 'can-i', 'create', 'pods', '--subresource', 'exec']);
    expect(exec).toMatchObject({ code: 1, stdout: 'no\n' });
    expect(await as('viewer', ['auth', 'can-i', 'get', 'secrets'])).toMatchObject({ code: 1, stdout: 'no\n' });
    expect(await as('viewer', ['auth', 'can-i', 'watch', 'pods'])).toMatchObject({ code: 0, stdout: 'yes\n' });
    const roles = await as('viewer', ['get', 'rolebindings']);
    expect(roles.code).toBe(1);
    expect(roles.stderr).toContain('User "viewer" cannot list resource "rolebindings"');
    // Tokens never show in what edgectl prints.
    for (const r of [w, exec, roles]) expect(r.stdout + r.stderr).not.toContain(USERS.viewer);
  });

  it('an edit user deploys in its namespace but cannot grant roles', async () => {
    const d = await as('editor', ['apply', '-f', '-'], deployment('default'));
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toMatch(/deployment\.apps\/web created/);
    expect((await as('editor', ['apply', '-f', '-'], deployment('team'))).code).toBe(1);
    const grant = await as('editor', ['apply', '-f', '-'], binding('RoleBinding', 'x', 'edit', 'alice', 'default'));
    expect(grant.code).toBe(1);
    expect(grant.stderr).toContain('User "editor" cannot');
    expect(await as('editor', ['auth', 'can-i', 'create', 'rolebindings'])).toMatchObject({ code: 1 });
    expect(await as('editor', ['auth', 'can-i', 'create', 'roles'])).toMatchObject({ code: 1 });
  });

  it('a namespace admin binds edit in its namespace, not in another, and cannot grant cluster-admin', async () => {
    expect(await as('alice', ['auth', 'can-i', 'create', 'deployments', '-n', 'team'])).toMatchObject({ code: 1 });
    const ok = await as('nsadmin', ['apply', '-f', '-'], binding('RoleBinding', 'alice-edit', 'edit', 'alice', 'team'));
    expect(ok.code, ok.stderr).toBe(0);
    expect(await as('alice', ['auth', 'can-i', 'create', 'deployments', '-n', 'team'])).toMatchObject({
      code: 0,
      stdout: 'yes\n',
    });
    expect((await as('alice', ['apply', '-f', '-'], deployment('team'))).code).toBe(0);
    const other = await as('nsadmin', ['apply', '-f', '-'], binding('RoleBinding', 'a', 'edit', 'alice', 'default'));
    expect(other.code).toBe(1);
    const up = await as(
      'nsadmin',
      ['apply', '-f', '-'],
      binding('RoleBinding', 'alice-root', 'cluster-admin', 'alice', 'team'),
    );
    expect(up.code).toBe(1);
    expect(up.stderr).toContain('is attempting to grant RBAC permissions not currently held');
    // The binding goes, and the grant with it.
    expect((await as('nsadmin', ['delete', 'rolebinding', 'alice-edit', '-n', 'team'])).code).toBe(0);
    expect(await as('alice', ['auth', 'can-i', 'delete', 'deployments', '-n', 'team'])).toMatchObject({ code: 1 });
  });

  it('manages tokens: a user token authenticates until deleted, secrets shown once and never listed', async () => {
    const created = await cluster.edgectl([
      'token',
      'create',
      '--user',
      'carol',
      '--groups',
      'viewers,qa',
      '--ttl',
      '1h',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const bearer = created.stdout.trim();
    expect(bearer).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    const [id = '', secret = ''] = bearer.split('.');
    const carol = { EDGE_TOKEN: bearer };
    // RBAC decides what carol's token may do: nothing is bound to carol or her groups yet.
    expect(await cluster.edgectl(['auth', 'can-i', 'list', 'pods'], undefined, carol)).toMatchObject({ code: 1 });
    const grant = binding('ClusterRoleBinding', 'carol-view', 'view', 'carol');
    expect((await cluster.edgectl(['apply', '-f', '-'], grant)).code).toBe(0);
    expect(await cluster.edgectl(['auth', 'can-i', 'list', 'pods'], undefined, carol)).toMatchObject({ code: 0 });
    // Only cluster-admins create tokens.
    expect((await as('nsadmin', ['token', 'create', '--user', 'x'])).code).toBe(1);
    const boot = await cluster.edgectl(['token', 'create', '--description', 'pi fleet']);
    expect(boot.stdout.trim()).toMatch(/^(K10\S+::)?[a-z0-9]{6}\.[a-z0-9]{16}$/);
    const list = await cluster.edgectl(['token', 'list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${id}\\s+\\d+m\\s+\\S+\\s+user:carol`));
    expect(list.stdout).toMatch(/bootstrap\s+created by edge-hub on first start/);
    expect(list.stdout).toMatch(/bootstrap\s+pi fleet/);
    const yaml = await cluster.edgectl(['get', 'tokens', '-o', 'yaml']);
    for (const text of [list.stdout, yaml.stdout, cluster.hub?.out ?? '', cluster.hub?.err ?? ''])
      expect(text).not.toContain(secret);
    expect((await cluster.edgectl(['token', 'delete', id])).code).toBe(0);
    const after = await cluster.edgectl(['get', 'pods'], undefined, carol);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('Unauthorized');
  });

  it('refuses an unknown token with 401 before any decision', async () => {
    const r = await cluster.edgectl(['get', 'pods'], undefined, { EDGE_TOKEN: 'not-a-token-0123456789' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Unauthorized');
  });
});
