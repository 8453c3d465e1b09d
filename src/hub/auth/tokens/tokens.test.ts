/**
 * Tokens as managed objects through the real API app: issued by the hub with the secret shown once,
 * authenticating by the Token object (expiry on the injected clock, deletion at once), never stored
 * or listed in clear, created only by cluster-admins.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TOKEN_FORMAT, type ObjectList, type Status, type Token } from '../../../api/index.js';
import { createTestApi, type TestApi } from '../../testing/index.js';
import { formatJoinToken } from './join-format.js';

const TOKENS = '/apis/auth.edgeplane.io/v1/tokens';
const PODS = '/api/v1/namespaces/default/pods';

let t: TestApi;
let now: number;
beforeEach(async () => {
  now = Date.parse('2026-01-01T00:00:00Z');
  t = await createTestApi({
    now: () => now,
    users: [{ name: 'editor', token: 'editor-token-0123456789', groups: ['editors'] }],
  });
});
afterEach(() => t.close());

/** Sends a request as `bearer`; its JSON answer is read as the `T` the test expects (a Token unless told). */
async function call<T = Token>(
  bearer: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: T }> {
  const res = await t.app.request(path, {
    method,
    headers: { authorization: `Bearer ${bearer}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as T };
}
/** The `id.secret` a create answer shows once. */
const secretOf = (created: Token): string => {
  expect(created.status?.token).toMatch(TOKEN_FORMAT);
  return created.status?.token ?? '';
};
const admin = (method: string, path: string, body?: unknown) => call(t.auth.adminToken, method, path, body);
const token = (spec: Record<string, unknown>) => ({
  apiVersion: 'auth.edgeplane.io/v1',
  kind: 'Token',
  metadata: {},
  spec,
});

describe('issuing', () => {
  it('makes id.secret, answers it once, and stores only its digest', async () => {
    const created = await admin('POST', TOKENS, token({ user: 'alice', groups: ['dev'], secretHash: 'sha256:chosen' }));
    expect(created.status).toBe(201);
    const bearer = secretOf(created.json);
    const [id, secret] = bearer.split('.') as [string, string];
    expect(created.json.metadata.name).toBe(id);
    expect(created.json.spec.secretHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    const got = await admin('GET', `${TOKENS}/${id}`);
    const list = await call<ObjectList<Token>>(t.auth.adminToken, 'GET', TOKENS);
    for (const text of [JSON.stringify(got.json), JSON.stringify(list.json)]) expect(text).not.toContain(secret);
    expect(got.json.status).toBeUndefined();
    // Nothing in the store holds the secret either.
    expect(JSON.stringify(await t.store.list('/registry/'))).not.toContain(secret);
  });

  it('prints a bootstrap token as the join string; the hub made one in join.token on start', async () => {
    const created = await admin('POST', TOKENS, token({ usages: ['bootstrap'], description: 'pi fleet' }));
    expect(created.json.status?.joinToken).toBe(secretOf(created.json));
    const hash = 'ab'.repeat(32);
    expect(formatJoinToken('abcdef.0123456789abcdef', hash)).toBe(`K10${hash}::abcdef.0123456789abcdef`);
    const join = t.auth.joinToken;
    expect(join).toMatch(TOKEN_FORMAT);
    const first = await admin('GET', `${TOKENS}/${join.slice(0, 6)}`);
    expect(first.json.spec).toMatchObject({ usages: ['bootstrap'], description: 'created by edge-hub on first start' });
    expect(first.json.spec?.expiration).toBeUndefined();
  });

  it('is for cluster-admins only: an edit user may not create tokens', async () => {
    await admin('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      metadata: { name: 'editors' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
      subjects: [{ kind: 'Group', name: 'editors' }],
    });
    const r = await call<Status>(
      'editor-token-0123456789',
      'POST',
      TOKENS,
      token({ user: 'editor', groups: ['system:masters'] }),
    );
    expect(r.status).toBe(403);
    expect(r.json.message).toBe(
      'tokens.auth.edgeplane.io is forbidden: User "editor" cannot create resource "tokens" in API group "auth.edgeplane.io" at the cluster scope',
    );
  });
});

describe('authenticating', () => {
  it('authenticates a user token as its user and groups, for RBAC to decide', async () => {
    const bearer = secretOf((await admin('POST', TOKENS, token({ user: 'alice', groups: ['system:masters'] }))).json);
    expect((await call(bearer, 'GET', PODS)).status).toBe(200);
    const plain = secretOf((await admin('POST', TOKENS, token({ user: 'bob' }))).json);
    const r = await call<Status>(plain, 'GET', PODS);
    expect(r.json.message).toContain('User "bob" cannot list resource "pods"');
    // A wrong secret for a real id is no token at all.
    expect((await call(`${plain.slice(0, 7)}0000000000000000`, 'GET', PODS)).status).toBe(401);
  });

  it('admits nothing once expired (the injected clock)', async () => {
    const created = await admin(
      'POST',
      TOKENS,
      token({ user: 'alice', groups: ['system:masters'], expiration: '2026-01-01T01:00:00Z' }),
    );
    const bearer = secretOf(created.json);
    expect((await call(bearer, 'GET', PODS)).status).toBe(200);
    now = Date.parse('2026-01-01T01:00:00Z');
    expect((await call(bearer, 'GET', PODS)).status).toBe(401);
    // A bootstrap token likewise.
    const boot = await admin('POST', TOKENS, token({ usages: ['bootstrap'], expiration: '2026-01-01T02:00:00Z' }));
    expect(t.auth.verify(secretOf(boot.json))).toEqual({ kind: 'bootstrap', tokenId: boot.json.metadata.name });
    now = Date.parse('2026-01-01T02:00:01Z');
    expect(t.auth.verify(secretOf(boot.json))).toBeUndefined();
  });

  it('stops authenticating a deleted token at once', async () => {
    const created = await admin('POST', TOKENS, token({ user: 'alice', groups: ['system:masters'] }));
    const bearer = secretOf(created.json);
    expect((await call(bearer, 'GET', PODS)).status).toBe(200);
    expect((await admin('DELETE', `${TOKENS}/${created.json.metadata.name}`)).status).toBe(200);
    expect((await call(bearer, 'GET', PODS)).status).toBe(401);
  });

  it('refuses a token that is both bootstrap and a user, or neither', async () => {
    expect((await admin('POST', TOKENS, token({ usages: ['bootstrap'], user: 'x' }))).status).toBe(422);
    expect((await admin('POST', TOKENS, token({ description: 'nobody' }))).status).toBe(422);
  });
});
