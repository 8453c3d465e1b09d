/**
 * The hub refuses a pod whose `edgeplane.io/request-timeout` is not a deadline (422 naming the
 * annotation, through the real API app), and keeps one that is.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApi, type TestApi } from '../../testing/index.js';

let t: TestApi;
const PODS = '/api/v1/namespaces/default/pods';

const pod = (name: string, timeout: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, annotations: { 'edgeplane.io/request-timeout': timeout } },
  spec: { containers: [{ name: 'web', image: 'example/web:1' }] },
});

async function create(body: unknown): Promise<Response> {
  return t.app.request(PODS, {
    method: 'POST',
    headers: { authorization: `Bearer ${t.auth.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

beforeAll(async () => {
  t = await createTestApi();
});
afterAll(() => t.close());

it('refuses a pod whose request-timeout annotation is not a deadline, naming it, and keeps one that is', async () => {
  const bad = await create(pod('bad', '10 minutes'));
  expect(bad.status).toBe(422);
  const status = (await bad.json()) as { message: string };
  expect(status.message).toContain(
    'metadata.annotations[edgeplane.io/request-timeout]: Invalid value: "10 minutes": must be a duration such as 500ms, 2s or 1m',
  );
  const good = await create(pod('good', '2s'));
  expect(good.status).toBe(201);
  const created = (await good.json()) as { metadata: { annotations: Record<string, string> } };
  expect(created.metadata.annotations['edgeplane.io/request-timeout']).toBe('2s');
});
