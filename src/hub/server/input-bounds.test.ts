/** Quantities and durations from clients through the API: refused with a Status naming the field and why. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, readStatus, type Harness } from './testdata/harness.js';

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
      [
        { limits: { memory: '1e400' } },
        'spec.containers[0].resources.limits.memory',
        /Invalid value: "1e400": quantity is not finite/,
      ],
      [
        { requests: { memory: '9Ei' } },
        'spec.containers[0].resources.requests.memory',
        /must be no more than 9007199254740991 bytes/,
      ],
      [{ limits: { cpu: '2000000' } }, 'spec.containers[0].resources.limits.cpu', /must be no more than 1000000 cores/],
      [{ limits: { cpu: 'NaN' } }, 'spec.containers[0].resources.limits.cpu', /Invalid value: "NaN"/],
      [{ limits: { cpu: '-1' } }, 'spec.containers[0].resources.limits.cpu', /greater than or equal to 0/],
    ];
    for (const [resources, field, why] of cases) {
      const res = await h.req('POST', PODS, pod({ resources }));
      expect(res.status, field).toBe(422);
      const s = await readStatus(res);
      expect(s).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422 });
      const cause = (s.details?.causes ?? []).find((c) => c.field === field);
      expect(cause?.message, JSON.stringify(s.details?.causes)).toMatch(why);
      expect(s.message).toContain(`${field}: Invalid value`);
    }
    // A JSON number too large for a double arrives as Infinity: refused too.
    const inf = await h.req(
      'POST',
      PODS,
      JSON.stringify(pod({ resources: { limits: { memory: 1 } } })).replace('"memory":1', '"memory":1e400'),
    );
    expect(inf.status).toBe(422);
    expect((await readStatus(inf)).details?.causes?.[0]?.field).toBe('spec.containers[0].resources.limits.memory');
    expect((await h.req('POST', PODS, pod({ resources: { limits: { cpu: '500m', memory: '128Mi' } } }))).status).toBe(
      201,
    );
  });
});

describe('durations', () => {
  it('refuses ...Seconds fields past what a timer can hold, naming them', async () => {
    const probe = { httpGet: { port: 8080 }, periodSeconds: 3_000_000 };
    for (const [body, field] of [
      [pod({ livenessProbe: probe }), 'spec.containers[0].livenessProbe.periodSeconds'],
      [pod({}, { terminationGracePeriodSeconds: 1e12 }), 'spec.terminationGracePeriodSeconds'],
      [
        pod({}, { tolerations: [{ operator: 'Exists', tolerationSeconds: 2 ** 40 }] }),
        'spec.tolerations[0].tolerationSeconds',
      ],
    ] as const) {
      const res = await h.req('POST', PODS, body);
      expect(res.status, field).toBe(422);
      const s = await readStatus(res);
      expect(s.details?.causes?.map((c) => c.field)).toContain(field);
      expect(s.message).toMatch(/no more than 2147483 seconds/);
    }
  });

  it('refuses bad timeoutSeconds and gracePeriodSeconds query values with 400 naming them', async () => {
    expect((await h.req('POST', PODS, pod())).status).toBe(201);
    for (const t of ['1e400', '-1', 'abc', '99999999999', '2147484']) {
      const watch = await h.req('GET', `${PODS}?watch=true&timeoutSeconds=${t}`);
      expect(watch.status, t).toBe(400);
      expect((await readStatus(watch)).details?.causes?.[0]?.field).toBe('timeoutSeconds');
      const del = await h.req('DELETE', `${PODS}/p?gracePeriodSeconds=${t}`);
      expect(del.status, t).toBe(400);
      expect((await readStatus(del)).details?.causes?.[0]?.field).toBe('gracePeriodSeconds');
    }
    const body = await h.req('DELETE', `${PODS}/p`, { gracePeriodSeconds: 1e15 });
    expect(body.status).toBe(400);
    expect((await h.req('GET', `${PODS}/p`)).status).toBe(200);
  });
});

describe('body size and shape, before parsing', () => {
  const withAnnotations = (n: number, value = '') => {
    const annotations: Record<string, string> = {};
    for (let i = 0; i < n; i++) annotations[`k${i}`] = value;
    return { ...pod(), metadata: { name: 'p', annotations } };
  };

  it('refuses an object of more than 10000 members with 413 naming the limit, and takes 10000', async () => {
    const res = await h.req('POST', PODS, withAnnotations(230_000));
    expect(res.status).toBe(413);
    const s = await readStatus(res);
    expect(s).toMatchObject({ kind: 'Status', reason: 'RequestEntityTooLarge', code: 413 });
    expect(s.message).toMatch(/an object with more than 10000 members.*at most 10000 are accepted/);
    expect((await h.req('POST', PODS, withAnnotations(10_000))).status).toBe(201);
  });

  it('refuses more than 200000 members and elements in all, even spread over small objects and arrays', async () => {
    const objects = await h.req('POST', PODS, {
      ...pod(),
      extra: Array.from({ length: 25_000 }, () => ({ a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8 })),
    });
    expect(objects.status).toBe(413);
    expect((await readStatus(objects)).message).toMatch(/more than 200000 object members and array elements in all/);
    const elements = await h.req('POST', PODS, { ...pod(), extra: new Array(300_000).fill(0) });
    expect(elements.status).toBe(413);
    expect((await readStatus(elements)).message).toMatch(/at most 200000 are accepted/);
  });

  it('counts members outside strings only: colons and commas inside values are text', async () => {
    const res = await h.req('POST', PODS, {
      ...pod(),
      metadata: { name: 'p', annotations: { note: ':,'.repeat(100_000) } },
    });
    expect(res.status).toBe(201);
  });

  it('refuses annotations over 256 KiB in all with 422 naming metadata.annotations, and takes 256 KiB exactly', async () => {
    const big = {
      ...pod(),
      metadata: { name: 'p', annotations: { a: 'x'.repeat(200 * 1024), b: 'é'.repeat(30 * 1024) } },
    };
    const res = await h.req('POST', PODS, big);
    expect(res.status).toBe(422);
    const s = await readStatus(res);
    expect(s).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422 });
    expect(s.details?.causes).toContainEqual(
      expect.objectContaining({ field: 'metadata.annotations', message: 'Too long: must have at most 262144 bytes' }),
    );
    expect(s.message).toContain('metadata.annotations: Too long: must have at most 262144 bytes');
    const exact = { ...pod(), metadata: { name: 'p', annotations: { a: 'x'.repeat(256 * 1024 - 1) } } };
    expect((await h.req('POST', PODS, exact)).status).toBe(201);
    // The same bound holds on update and on the pod template of a Deployment (ObjectMeta everywhere).
    const upd = await h.req('PUT', `${PODS}/p`, big);
    expect(upd.status).toBe(422);
  });

  it('refuses label keys with a prefix over 253 characters and values over 63', async () => {
    const longPrefix = `${'a'.repeat(254)}/x`;
    const res = await h.req('POST', PODS, { ...pod(), metadata: { name: 'p', labels: { [longPrefix]: 'v' } } });
    expect(res.status).toBe(422);
    // zod reports a bad record key as "Invalid key in record", naming the key's path.
    expect((await readStatus(res)).message).toContain(`metadata.labels.${longPrefix}: Invalid key in record`);
    const value = await h.req('POST', PODS, { ...pod(), metadata: { name: 'p', labels: { app: 'v'.repeat(64) } } });
    expect(value.status).toBe(422);
    const ok = await h.req('POST', PODS, {
      ...pod(),
      metadata: { name: 'p', labels: { [`${'a'.repeat(253)}/${'n'.repeat(63)}`]: 'v'.repeat(63) } },
    });
    expect(ok.status).toBe(201);
  });

  it('refuses a chunked body past 3 MiB with 413 while it streams, without a content-length', async () => {
    let sent = 0;
    const chunk = new TextEncoder().encode(' '.repeat(64 * 1024));
    const body = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        if (sent >= 8 * 1024 * 1024) return ctrl.close();
        sent += chunk.byteLength;
        ctrl.enqueue(chunk);
      },
    });
    const res = await h.app.request(PODS, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.auth.adminToken}`, 'content-type': 'application/json' },
      body,
      duplex: 'half',
    });
    expect(res.status).toBe(413);
    expect((await readStatus(res)).message).toMatch(/exceeds the limit of 3145728 bytes/);
    expect(sent).toBeLessThan(8 * 1024 * 1024);
  });
});
