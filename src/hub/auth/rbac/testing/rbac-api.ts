/**
 * The RBAC tests' API (`rbac-api*.test.ts`): the real API app (`createTestApi`: registry, store, tokens,
 * the built-in policy over informers) with real users, granted as Kubernetes means them: `viewer` view
 * (through its group `viewers`) everywhere, `editor` edit in `default`, `nsadmin` admin in `team`; `alice`
 * holds nothing and `legacy` is a tokens.json read-only user. Tests only.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import type { Status } from '../../../../api/index.js';
import { createTestApi, type TestApi } from '../../../testing/index.js';

export const RBAC = '/apis/rbac.authorization.k8s.io/v1';
export const SSAR = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';
export const DEPLOYMENTS = (ns: string) => `/apis/apps/v1/namespaces/${ns}/deployments`;
export const PODS = '/api/v1/namespaces/default/pods';

const users = [
  { name: 'viewer', token: 'viewer-token-0123456789', groups: ['viewers'] },
  { name: 'editor', token: 'editor-token-0123456789', groups: [] },
  { name: 'nsadmin', token: 'nsadmin-token-0123456789', groups: [] },
  { name: 'alice', token: 'alice-token-0123456789', groups: [] },
  { name: 'legacy', token: 'legacy-token-0123456789', role: 'read-only' as const },
];
/** The bearer token of user `name`. */
export const token = (name: string): string => users.find((u) => u.name === name)?.token ?? '';

/** A Deployment manifest `name` (app `name`). */
export const deployment = (name: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'hello.wasm' }] } },
  },
});
/** A pod manifest `name`. */
export const pod = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'main', image: 'hello.wasm' }] },
});
/** A RoleBinding manifest `name` of `role` (a ClusterRole unless `roleKind` says else) to User `user`. */
export const binding = (name: string, role: string, user: string, roleKind = 'ClusterRole') => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'RoleBinding',
  metadata: { name },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: role },
  subjects: [{ kind: 'User', name: user }],
});

/** An answer of the API: its status, its JSON (a watch's is undefined) and the response. */
export interface Answer<T> {
  status: number;
  json: T;
  res: Response;
}

/** The API of one test file, and requests to it as its users. */
export interface RbacApi {
  /** The test API (for a request `call` does not make). */
  readonly t: TestApi;
  /**
   * Sends a request as user `as` (or `admin`); its JSON answer is read as the `T` the test expects (a
   * failure's Status unless told). A watch's body is not read: its `json` is undefined.
   */
  call: <T = Status>(as: string, method: string, path: string, body?: unknown) => Promise<Answer<T>>;
}

/**
 * Registers (in the calling test file) the API's start before its tests, with the namespace `team`, the pod
 * `default/a` and the users' grants, and its close after them. The tests of a file share it.
 */
export function rbacApi(): RbacApi {
  let t: TestApi;
  async function call<T = Status>(as: string, method: string, path: string, body?: unknown): Promise<Answer<T>> {
    const res = await t.app.request(path, {
      method,
      headers: {
        authorization: `Bearer ${as === 'admin' ? t.auth.adminToken : token(as)}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const watch = path.includes('watch=true');
    if (watch) await res.body?.cancel();
    return { status: res.status, json: (watch ? undefined : await res.json()) as T, res };
  }

  beforeAll(async () => {
    t = await createTestApi({ users });
    expect((await call('admin', 'POST', '/api/v1/namespaces', { metadata: { name: 'team' } })).status).toBe(201);
    expect((await call('admin', 'POST', PODS, pod('a'))).status).toBe(201);
    const grants = [
      [
        `${RBAC}/clusterrolebindings`,
        {
          metadata: { name: 'viewers' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
          subjects: [{ kind: 'Group', name: 'viewers' }],
        },
      ],
      [`${RBAC}/namespaces/default/rolebindings`, binding('editor', 'edit', 'editor')],
      [`${RBAC}/namespaces/team/rolebindings`, binding('nsadmin', 'admin', 'nsadmin')],
    ] as const;
    for (const [path, body] of grants) expect((await call('admin', 'POST', path, body)).status).toBe(201);
  });
  afterAll(() => t.close());

  return {
    get t(): TestApi {
      return t;
    },
    call,
  };
}
