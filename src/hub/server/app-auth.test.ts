/**
 * Who the API app serves: health and version without a token and nothing else, a request as the user it
 * impersonates (kubectl --as/--as-group), and node tokens that may only read blobs.
 */
import { describe, expect, it } from 'vitest';
import { PODS, appHarness } from './testdata/app-fixtures.js';
import { readJson, readStatus } from './testdata/harness.js';

const h = appHarness();

describe('auth', () => {
  it('serves health and version without a token, nothing else', async () => {
    expect((await h.req('GET', '/healthz', undefined, { token: null })).status).toBe(200);
    expect((await h.req('GET', '/readyz', undefined, { token: null })).status).toBe(200);
    expect(await readJson<object>(await h.req('GET', '/version', undefined, { token: null }))).toMatchObject({
      gitVersion: 'v0.0.0-test',
    });
    for (const [token, path] of [
      [null, PODS],
      ['wrong', PODS],
      [null, '/no/such/path'],
      [null, '/apis/edgeplane.io/v1/blobs/sha256:00'],
    ] as const) {
      const res = await h.req('GET', path, undefined, { token });
      expect(res.status).toBe(401);
      expect(await readStatus(res)).toMatchObject({ status: 'Failure', reason: 'Unauthorized', code: 401 });
    }
  });

  it('serves a request as the user it impersonates (kubectl --as/--as-group), decided for that user', async () => {
    const as = (headers: Record<string, string>, token: string | null = h.auth.adminToken) =>
      h.app.request(PODS, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
    // The admin may impersonate; ann herself has no rights, so the request is refused naming her.
    const ann = await as({ 'Impersonate-User': 'ann' });
    expect(ann.status).toBe(403);
    expect((await readStatus(ann)).message).toBe(
      'pods is forbidden: User "ann" cannot list resource "pods" in API group "" in the namespace "default"',
    );
    // Groups joined by Fetch (", ") are split back: as ann in system:masters the list is served.
    const masters = await as({ 'Impersonate-User': 'ann', 'Impersonate-Group': 'ops, system:masters' });
    expect(masters.status).toBe(200);
    // A group without a user is a bad request; without a valid credential it is a 401 first, as any request.
    expect((await as({ 'Impersonate-Group': 'system:masters' })).status).toBe(400);
    expect((await as({ 'impersonate-user': 'ann' }, null)).status).toBe(401);
  });

  it('lets node tokens only read blobs', async () => {
    const res = await h.req('GET', PODS, undefined, { token: h.auth.joinToken });
    expect(res.status).toBe(403);
    expect((await readStatus(res)).reason).toBe('Forbidden');
    const blob = await h.req('GET', `/apis/edgeplane.io/v1/blobs/sha256:${'0'.repeat(64)}`, undefined, {
      token: h.auth.joinToken,
    });
    expect(blob.status).toBe(404);
  });
});
