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
  it('Strict, and no parameter, refuse unknown fields naming each: 400 on create and update, as kube-apiserver', async () => {
    for (const query of ['', '?fieldValidation=Strict']) {
      const res = await call('POST', `${DEPLOYMENTS}${query}`, deployment('strict', { surplus: 1 }));
      expect(res.status).toBe(400);
      const status = (await res.json()) as { reason: string; message: string };
      expect(status.reason).toBe('BadRequest');
      expect(status.message).toMatch(
        /^Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec\.(surplus|template\.spec\.containers\[0\]\.bogus)", unknown field "spec\./,
      );
      expect(status.message).toContain('unknown field "spec.surplus"');
      expect(status.message).toContain('unknown field "spec.template.spec.containers[0].bogus"');
    }
    // An update the same way; a body whose only fault is a value stays the registry's 422.
    const created = await call('POST', `${DEPLOYMENTS}?fieldValidation=Ignore`, deployment('strict-put'));
    const current = (await created.json()) as { metadata: Record<string, unknown> };
    const put = await call('PUT', `${DEPLOYMENTS}/strict-put`, {
      ...deployment('strict-put', { surplus: 1 }),
      metadata: current.metadata,
    });
    expect(put.status).toBe(400);
    expect(((await put.json()) as { message: string }).message).toMatch(
      /^Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: .*unknown field "spec\.surplus"/,
    );
    const bad = deployment('strict-bad');
    delete (bad.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } }).template.spec
      .containers[0]!.bogus;
    const invalid = await call('POST', DEPLOYMENTS, { ...bad, spec: { ...(bad.spec as object), replicas: -1 } });
    expect(invalid.status).toBe(422);
  });

  it('Strict refuses a patch that adds an unknown field with 422 on field "patch", as kube-apiserver', async () => {
    const created = await call('POST', `${DEPLOYMENTS}?fieldValidation=Ignore`, deployment('strict-patch'));
    expect(created.status).toBe(201);
    for (const [type, patch] of [
      ['application/merge-patch+json', { spec: { extra: 'x' } }],
      ['application/strategic-merge-patch+json', { spec: { extra: 'x' } }],
      ['application/json-patch+json', [{ op: 'add', path: '/spec/extra', value: 'x' }]],
    ] as const) {
      const res = await call('PATCH', `${DEPLOYMENTS}/strict-patch`, patch, type);
      expect(res.status, type).toBe(422);
      const status = (await res.json()) as { message: string; details: { causes: unknown[] } };
      expect(status.message).toBe(
        'Deployment "strict-patch" is invalid: patch: strict decoding error: unknown field "spec.extra"',
      );
      expect(status.details.causes).toEqual([
        { field: 'patch', message: 'strict decoding error: unknown field "spec.extra"', reason: 'FieldValueInvalid' },
      ]);
    }
  });

  it('server-side apply refuses an unknown field naming it (422; Kubernetes answers 500 "field not declared in schema")', async () => {
    const body = JSON.stringify(deployment('strict-ssa', { surplus: 1 }));
    const res = await t.app.request(`${DEPLOYMENTS}/strict-ssa?fieldManager=test`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${t.auth.adminToken}`, 'content-type': 'application/apply-patch+yaml' },
      body,
    });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('spec.surplus');
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
    expect(await strict.text()).toContain('strict decoding error: unknown field \\"spec.extra\\"');
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
