/** Quantities and durations from clients through the API: refused with a Status naming the field and why. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from './testdata/harness.js';

const PODS = '/api/v1/namespaces/default/pods';
const pod = (container: Record<string, unknown> = {}, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p' },
  spec: { containers: [{ name: 'c', image: 'hello.wasm', ...container }], ...spec },
});

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.close());

describe('quantities', () => {
  it('refuses non-finite and oversize quantities with 422 naming the field and why', async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ limits: { memory: '1e400' } }, 'spec.containers[0].resources.limits.memory', /Invalid value: "1e400": quantity is not finite/],
      [{ requests: { memory: '9Ei' } }, 'spec.containers[0].resources.requests.memory', /must be no more than 9007199254740991 bytes/],
      [{ limits: { cpu: '2000000' } }, 'spec.containers[0].resources.limits.cpu', /must be no more than 1000000 cores/],
      [{ limits: { cpu: 'NaN' } }, 'spec.containers[0].resources.limits.cpu', /Invalid value: "NaN"/],
      [{ limits: { cpu: '-1' } }, 'spec.containers[0].resources.limits.cpu', /greater than or equal to 0/],
    ];
    for (const [resources, field, why] of cases) {
      const res = await h.req('POST', PODS, pod({ resources }));
      expect(res.status, field).toBe(422);
      const s = await res.json();
      expect(s).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422 });
      const cause = s.details.causes.find((c: { field: string }) => c.field === field);
      expect(cause?.message, JSON.stringify(s.details.causes)).toMatch(why);
      expect(s.message).toContain(`${field}: Invalid value`);
    }
    // A JSON number too large for a double arrives as Infinity: refused too.
    const inf = await h.req('POST', PODS, JSON.stringify(pod({ resources: { limits: { memory: 1 } } })).replace('"memory":1', '"memory":1e400'));
    expect(inf.status).toBe(422);
    expect((await inf.json()).details.causes[0].field).toBe('spec.containers[0].resources.limits.memory');
    expect((await h.req('POST', PODS, pod({ resources: { limits: { cpu: '500m', memory: '128Mi' } } }))).status).toBe(201);
  });
});

describe('durations', () => {
  it('refuses ...Seconds fields past what a timer can hold, naming them', async () => {
    const probe = { httpGet: { port: 8080 }, periodSeconds: 3_000_000 };
    for (const [body, field] of [
      [pod({ livenessProbe: probe }), 'spec.containers[0].livenessProbe.periodSeconds'],
      [pod({}, { terminationGracePeriodSeconds: 1e12 }), 'spec.terminationGracePeriodSeconds'],
      [pod({}, { tolerations: [{ operator: 'Exists', tolerationSeconds: 2 ** 40 }] }), 'spec.tolerations[0].tolerationSeconds'],
    ] as const) {
      const res = await h.req('POST', PODS, body);
      expect(res.status, field).toBe(422);
      const s = await res.json();
      expect(s.details.causes.map((c: { field: string }) => c.field)).toContain(field);
      expect(s.message).toMatch(/no more than 2147483 seconds/);
    }
  });

  it('refuses bad timeoutSeconds and gracePeriodSeconds query values with 400 naming them', async () => {
    expect((await h.req('POST', PODS, pod())).status).toBe(201);
    for (const t of ['1e400', '-1', 'abc', '99999999999', '2147484']) {
      const watch = await h.req('GET', `${PODS}?watch=true&timeoutSeconds=${t}`);
      expect(watch.status, t).toBe(400);
      expect((await watch.json()).details.causes[0].field).toBe('timeoutSeconds');
      const del = await h.req('DELETE', `${PODS}/p?gracePeriodSeconds=${t}`);
      expect(del.status, t).toBe(400);
      expect((await del.json()).details.causes[0].field).toBe('gracePeriodSeconds');
    }
    const body = await h.req('DELETE', `${PODS}/p`, { gracePeriodSeconds: 1e15 });
    expect(body.status).toBe(400);
    expect((await h.req('GET', `${PODS}/p`)).status).toBe(200);
  });
});
