/**
 * `fieldValidation` through the real API app: Strict (and no parameter) refuses unknown fields naming
 * them, Warn drops them with one Warning header each, Ignore drops them silently; the rest of the
 * body is kept and validated as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { typeByKind } from '../../api/index.js';
import { createTestApi, type TestApi } from '../testing/index.js';
import { dropUnknownFields, fieldValidationMode } from './field-validation.js';

let t: TestApi;
const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';

function deployment(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'web', image: 'example/web:1', bogus: true }] },
      },
      ...extra,
    },
  };
}

async function call(method: string, path: string, body: unknown, type = 'application/json'): Promise<Response> {
  return t.app.request(path, {
    method,
    headers: { authorization: `Bearer ${t.auth.adminToken}`, 'content-type': type },
    body: JSON.stringify(body),
  });
}

beforeAll(async () => {
  t = await createTestApi();
});
afterAll(() => t.close());

describe('fieldValidation', () => {
  it('Strict, and no parameter, refuse unknown fields naming each', async () => {
    for (const query of ['', '?fieldValidation=Strict']) {
      const res = await call('POST', `${DEPLOYMENTS}${query}`, deployment('strict', { surplus: 1 }));
      expect(res.status).toBe(422);
      const text = await res.text();
      expect(text).toContain('spec.surplus');
      expect(text).toContain('spec.template.spec.containers[0].bogus');
    }
  });

  it('Warn drops them and names each in a Warning header', async () => {
    const res = await call('POST', `${DEPLOYMENTS}?fieldValidation=Warn`, deployment('warn', { surplus: 1 }));
    expect(res.status).toBe(201);
    const warnings = res.headers.get('warning');
    expect(warnings).toContain('299 - "unknown field \\"spec.surplus\\""');
    expect(warnings).toContain('unknown field \\"spec.template.spec.containers[0].bogus\\"');
    const saved = (await res.json()) as { spec: Record<string, unknown> & { replicas: number } };
    expect(saved.spec.surplus).toBeUndefined();
    expect(saved.spec.replicas).toBe(2);
  });

  it('Ignore drops them silently, on create, update and patch', async () => {
    const created = await call('POST', `${DEPLOYMENTS}?fieldValidation=Ignore`, deployment('ignore'));
    expect(created.status).toBe(201);
    expect(created.headers.get('warning')).toBeNull();
    const current = (await created.json()) as { metadata: Record<string, unknown> };
    const update = { ...deployment('ignore', { replicas: 3 }), metadata: current.metadata };
    const updated = await call('PUT', `${DEPLOYMENTS}/ignore?fieldValidation=Ignore`, update);
    expect(updated.status).toBe(200);
    const patch = { spec: { replicas: 4, extra: 'x' } };
    const strict = await call('PATCH', `${DEPLOYMENTS}/ignore`, patch, 'application/merge-patch+json');
    expect(strict.status).toBe(422);
    const patched = await call(
      'PATCH',
      `${DEPLOYMENTS}/ignore?fieldValidation=Ignore`,
      patch,
      'application/merge-patch+json',
    );
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as { spec: { replicas: number } }).spec.replicas).toBe(4);
  });

  it('refuses an unknown mode with 400', async () => {
    const res = await call('POST', `${DEPLOYMENTS}?fieldValidation=Lenient`, deployment('bad'));
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Strict, Warn, Ignore');
    expect(() => fieldValidationMode('warn')).toThrow(/must be one of/);
    expect(fieldValidationMode(undefined)).toBe('Strict');
  });

  it('dropUnknownFields keeps the caller’s body and every known field', () => {
    const type = typeByKind('apps/v1', 'Deployment')!;
    const body = deployment('x', { surplus: 1 });
    const { body: kept, dropped } = dropUnknownFields(type, body);
    expect(dropped.sort()).toEqual(['spec.surplus', 'spec.template.spec.containers[0].bogus']);
    expect((body.spec as Record<string, unknown>).surplus).toBe(1);
    expect(type.schema.safeParse(kept).success).toBe(true);
  });
});
