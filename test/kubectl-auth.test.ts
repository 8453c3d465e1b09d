/**
 * `kubectl auth can-i` with the real kubectl (`/usr/bin/kubectl`) against a real TLS hub: kubectl
 * sends its SelfSubjectAccessReview and SelfSubjectRulesReview as Kubernetes protobuf. Each user has a
 * kubeconfig of its own (0600, its token inside: never on a command line).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from './support/cluster.js';
import { kubectl, requireKubectl, writeKubeconfig } from './support/kubectl.js';

const USERS = { viewer: 'viewer-kubectl-token-0123456789', nobody: 'nobody-kubectl-token-0123456789' } as const;
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
});
