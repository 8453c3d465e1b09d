/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument -- assertions read the API's JSON answers loosely */
/**
 * Tokens as managed objects through the real API app: issued by the hub with the secret shown once,
 * authenticating by the Token object (expiry on the injected clock, deletion at once), never stored
 * or listed in clear, created only by cluster-admins.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TOKEN_FORMAT } from '../../../api/index.js';
import type { TestJson } from '../../server/testdata/harness.js';
import { createTestApi, type TestApi } from '../../testing/index.js';
import { formatJoinToken } from './join-format.js';

const TOKENS = '/apis/auth.edgeplane.io/v1/tokens';
const PODS = '/api/v1/namespaces/default/pods';
/** JSON answers, read loosely: the server tests' one loose type (to go when they parse with src/api's REST shapes). */
type Json = TestJson;

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

async function call(
  bearer: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Json }> {
  const res = await t.app.request(path, {
    method,
    headers: { authorization: `Bearer ${bearer}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}
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
    const bearer: string = created.json.status.token;
    expect(bearer).toMatch(TOKEN_FORMAT);
    const [id, secret] = bearer.split('.') as [string, string];
    expect(created.json.metadata.name).toBe(id);
    expect(created.json.spec.secretHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    const got = await admin('GET', `${TOKENS}/${id}`);
    const list = await admin('GET', TOKENS);
    for (const text of [JSON.stringify(got.json), JSON.stringify(list.json)]) expect(text).not.toContain(secret);
    expect(got.json.status).toBeUndefined();
    // Nothing in the store holds the secret either.
    expect(JSON.stringify(await t.store.list('/registry/'))).not.toContain(secret);
  });

  it('prints a bootstrap token as the join string; the hub made one in join.token on start', async () => {
    const created = await admin('POST', TOKENS, token({ usages: ['bootstrap'], description: 'pi fleet' }));
    expect(created.json.status.joinToken).toBe(created.json.status.token);
    const hash = 'ab'.repeat(32);
    expect(formatJoinToken('abcdef.0123456789abcdef', hash)).toBe(`K10${hash}::abcdef.0123456789abcdef`);
    const join = t.auth.joinToken;
    expect(join).toMatch(TOKEN_FORMAT);
    const first = await admin('GET', `${TOKENS}/${join.slice(0, 6)}`);
    expect(first.json.spec).toMatchObject({ usages: ['bootstrap'], description: 'created by edge-hub on first start' });
    expect(first.json.spec.expiration).toBeUndefined();
  });

  it('is for cluster-admins only: an edit user may not create tokens', async () => {
    await admin('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      metadata: { name: 'editors' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
      subjects: [{ kind: 'Group', name: 'editors' }],
    });
    const r = await call(
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
    const bearer: string = (await admin('POST', TOKENS, token({ user: 'alice', groups: ['system:masters'] }))).json
      .status.token;
    expect((await call(bearer, 'GET', PODS)).status).toBe(200);
    const plain: string = (await admin('POST', TOKENS, token({ user: 'bob' }))).json.status.token;
    const r = await call(plain, 'GET', PODS);
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
    const bearer: string = created.json.status.token;
    expect((await call(bearer, 'GET', PODS)).status).toBe(200);
    now = Date.parse('2026-01-01T01:00:00Z');
    expect((await call(bearer, 'GET', PODS)).status).toBe(401);
    // A bootstrap token likewise.
    const boot = await admin('POST', TOKENS, token({ usages: ['bootstrap'], expiration: '2026-01-01T02:00:00Z' }));
    expect(t.auth.verify(boot.json.status.token)).toEqual({ kind: 'bootstrap', tokenId: boot.json.metadata.name });
    now = Date.parse('2026-01-01T02:00:01Z');
    expect(t.auth.verify(boot.json.status.token)).toBeUndefined();
  });

  it('stops authenticating a deleted token at once', async () => {
    const created = await admin('POST', TOKENS, token({ user: 'alice', groups: ['system:masters'] }));
    const bearer: string = created.json.status.token;
    expect((await call(bearer, 'GET', PODS)).status).toBe(200);
    expect((await admin('DELETE', `${TOKENS}/${created.json.metadata.name}`)).status).toBe(200);
    expect((await call(bearer, 'GET', PODS)).status).toBe(401);
  });

  it('refuses a token that is both bootstrap and a user, or neither', async () => {
    expect((await admin('POST', TOKENS, token({ usages: ['bootstrap'], user: 'x' }))).status).toBe(422);
    expect((await admin('POST', TOKENS, token({ description: 'nobody' }))).status).toBe(422);
  });
});
