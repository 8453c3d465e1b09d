/**
 * `kubectl auth can-i` with the real kubectl (`/usr/bin/kubectl`) against a real TLS hub: kubectl
 * sends its SelfSubjectAccessReview and SelfSubjectRulesReview as Kubernetes protobuf. Each user has a
 * kubeconfig of its own (0600, its token inside: never on a command line). Impersonation (`--as`,
 * `--as-group`, `--as-uid`): each thing asked for is authorised as verb `impersonate`, then the
 * request is decided for the impersonated user.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from './support/cluster.js';
import { kubectl, requireKubectl, writeKubeconfig } from './support/kubectl.js';

const USERS = {
  viewer: 'viewer-kubectl-token-0123456789',
  nobody: 'nobody-kubectl-token-0123456789',
  impersonator: 'impersonator-kubectl-token-0123456789',
} as const;
type User = keyof typeof USERS;

const GRANT = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: viewer-view
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: view
subjects:
  - kind: User
    name: viewer
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: impersonate-viewer
rules:
  - apiGroups: [""]
    resources: [users]
    resourceNames: [viewer]
    verbs: [impersonate]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: impersonator-impersonate-viewer
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: impersonate-viewer
subjects:
  - kind: User
    name: impersonator
`;

describe('kubectl auth can-i against the hub', () => {
  const cluster = new Cluster();
  const configOf = (user: User): string => join(cluster.dir, `${user}.kubeconfig`);
  const as = (user: User, args: string[]) => kubectl(configOf(user), args);

  beforeAll(async () => {
    requireKubectl();
    mkdirSync(cluster.hubDir, { recursive: true, mode: 0o700 });
    const users = Object.entries(USERS).map(([name, token]) => ({ name, token, groups: [] }));
    writeFileSync(join(cluster.hubDir, 'tokens.json'), JSON.stringify({ users }), { mode: 0o600 });
    await cluster.startHub();
    for (const [user, token] of Object.entries(USERS))
      writeKubeconfig(cluster, { file: `${user}.kubeconfig`, user, token });
    const r = await cluster.edgectl(['apply', '-f', '-'], GRANT);
    expect(r.code, r.stderr).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await cluster.stop();
  });

  it('answers yes and no for a view user (protobuf reviews, exit codes as kubectl gives them)', async () => {
    const get = await as('viewer', ['auth', 'can-i', 'get', 'pods']);
    expect(get.err).not.toMatch(/415|Unsupported/);
    expect({ code: get.code, out: get.out.trim() }).toEqual({ code: 0, out: 'yes' });
    const create = await as('viewer', ['auth', 'can-i', 'create', 'deployments']);
    expect({ code: create.code, out: create.out.trim() }).toEqual({ code: 1, out: 'no' });
    const secrets = await as('viewer', ['auth', 'can-i', 'get', 'secrets']);
    expect(secrets.out.trim()).toBe('no');
    const exec = await as('viewer', ['auth', 'can-i', 'create', 'pods/exec']);
    expect(exec.out.trim()).toBe('no');
    const nobody = await as('nobody', ['auth', 'can-i', 'get', 'pods']);
    expect(nobody.out.trim()).toBe('no');
  });

  it('lists the view user’s rules with --list', async () => {
    const list = await as('viewer', ['auth', 'can-i', '--list']);
    expect(list.code, list.err).toBe(0);
    expect(list.out).toMatch(/Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs/);
    expect(list.out).toMatch(/^pods\s+\[\]\s+\[\]\s+\[get list watch\]/m);
    expect(list.out).toMatch(/deployments\.apps\s+\[\]\s+\[\]\s+\[get list watch\]/);
    expect(list.out).toMatch(/selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]/);
    expect(list.out).not.toMatch(/^secrets\s/m);
  });

  it('answers yes to the admin of the hub-written kubeconfig', async () => {
    const admin = join(cluster.hubDir, 'admin.kubeconfig');
    const yes = await kubectl(admin, ['auth', 'can-i', 'create', 'deployments']);
    expect(yes.out.trim()).toBe('yes');
  });

  it('impersonates with --as and --as-group: requests and can-i are decided for the impersonated user', async () => {
    const admin = join(cluster.hubDir, 'admin.kubeconfig');
    const asViewer = await kubectl(admin, ['--as=viewer', 'auth', 'can-i', 'create', 'deployments']);
    expect({ code: asViewer.code, out: asViewer.out.trim() }).toEqual({ code: 1, out: 'no' });
    expect((await kubectl(admin, ['--as=viewer', 'auth', 'can-i', 'get', 'pods'])).out.trim()).toBe('yes');
    const list = await kubectl(admin, ['--as=viewer', 'get', 'configmaps']);
    expect(list.code, list.err).toBe(0);
    const write = await kubectl(admin, ['--as=viewer', 'create', 'configmap', 'as-viewer', '--from-literal=a=b']);
    expect(write.code).toBe(1);
    expect(write.err).toContain(
      'failed to create configmap: configmaps is forbidden: User "viewer" cannot create resource "configmaps" in API group "" in the namespace "default"',
    );
    // Groups are the impersonated user's only groups: ann alone may do nothing, in the read-only group she may read.
    expect((await kubectl(admin, ['--as=ann', 'auth', 'can-i', 'get', 'pods'])).out.trim()).toBe('no');
    const grouped = await kubectl(admin, [
      '--as=ann',
      '--as-group=edgeplane:read-only',
      'auth',
      'can-i',
      'get',
      'pods',
    ]);
    expect(grouped.out.trim()).toBe('yes');
    // kubectl sends each as a header of its own (-v=8 prints them), the uid too.
    const uid = await kubectl(admin, [
      '--as=viewer',
      '--as-uid=u-1234',
      '--as-group=g1',
      '--as-group=g2',
      '-v=8',
      'get',
      'pods',
    ]);
    expect(uid.code, uid.err).toBe(0);
    expect(uid.err).toMatch(/Impersonate-Uid: u-1234/);
    expect(uid.err).toMatch(/Impersonate-Group: g1/);
    expect(uid.err).toMatch(/Impersonate-Group: g2/);
  });

  it('kubectl auth whoami names the caller, or the user it impersonates', async () => {
    const me = await as('viewer', ['auth', 'whoami']);
    expect(me.code, me.err).toBe(0);
    expect(me.out).toMatch(/Username\s+viewer\n/);
    expect(me.out).toMatch(/Groups\s+\[system:authenticated\]/);
    const admin = join(cluster.hubDir, 'admin.kubeconfig');
    const other = await kubectl(admin, [
      'auth',
      'whoami',
      '--as=ann',
      '--as-group=ops',
      '--as-group=dev, qa',
      '--as-uid=u-7',
      '-o',
      'json',
    ]);
    expect(other.code, other.err).toBe(0);
    expect((JSON.parse(other.out) as { status: unknown }).status).toEqual({
      // One header line per group, kept apart (a comma inside a group name stays in it).
      userInfo: { username: 'ann', uid: 'u-7', groups: ['ops', 'dev, qa', 'system:authenticated'] },
    });
  });

  it('refuses to impersonate without the impersonate verb, naming what was refused, as kube-apiserver words it', async () => {
    const refused = await as('nobody', ['--as=viewer', 'get', 'pods']);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(
      'Error from server (Forbidden): users "viewer" is forbidden: User "nobody" cannot impersonate resource "users" in API group "" at the cluster scope',
    );
    // A user may impersonate what its role names (resourceNames: viewer), and nothing else.
    const allowed = await as('impersonator', ['--as=viewer', 'auth', 'can-i', 'get', 'pods']);
    expect({ code: allowed.code, out: allowed.out.trim() }).toEqual({ code: 0, out: 'yes' });
    expect((await as('impersonator', ['auth', 'can-i', 'get', 'pods'])).out.trim()).toBe('no');
    const other = await as('impersonator', ['--as=admin', 'get', 'pods']);
    expect(other.err).toContain('users "admin" is forbidden: User "impersonator" cannot impersonate resource "users"');
    const group = await as('impersonator', ['--as=viewer', '--as-group=system:masters', 'get', 'secrets']);
    expect(group.code).toBe(1);
    expect(group.err).toContain(
      'groups "system:masters" is forbidden: User "impersonator" cannot impersonate resource "groups" in API group "" at the cluster scope',
    );
    const uid = await as('impersonator', ['--as=viewer', '--as-uid=u-1', 'get', 'pods']);
    expect(uid.err).toContain(
      'uids.authentication.k8s.io "u-1" is forbidden: User "impersonator" cannot impersonate resource "uids" in API group "authentication.k8s.io" at the cluster scope',
    );
  });
});
