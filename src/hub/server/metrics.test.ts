import { afterEach, describe, expect, it } from 'vitest';
import { HubMetrics } from '../metrics/index.js';
import { InflightLimiter } from './inflight-limits.js';
import { createHarness, testPod, type Harness } from './testdata/harness.js';

const PODS = '/api/v1/namespaces/default/pods';
const VIEWER = { name: 'viewer', token: 'viewer-token-0123456789', role: 'read-only' as const };

let h: Harness;
afterEach(() => h.close());

describe('GET /metrics', () => {
  it('serves request counts, latencies, open watches and the Node.js defaults', async () => {
    h = await createHarness({ metrics: new HubMetrics() });
    await h.req('POST', PODS, testPod('a'));
    await h.req('GET', PODS);
    await h.req('GET', `${PODS}/missing`);
    await h.req('GET', PODS, undefined, { token: null });
    const watch = await h.req('GET', `${PODS}?watch=true`);
    const res = await h.req('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain('apiserver_request_total{verb="POST",resource="pods",subresource="",code="201"} 1');
    expect(text).toContain('apiserver_request_total{verb="LIST",resource="pods",subresource="",code="200"} 1');
    expect(text).toContain('apiserver_request_total{verb="GET",resource="pods",subresource="",code="404"} 1');
    expect(text).toContain('apiserver_request_total{verb="LIST",resource="pods",subresource="",code="401"} 1');
    expect(text).toMatch(
      /apiserver_request_duration_seconds_bucket\{le="1",verb="LIST",resource="pods",subresource=""\} 2/,
    );
    expect(text).toContain('apiserver_longrunning_requests{verb="WATCH",resource="pods"} 1');
    expect(text).toMatch(/^nodejs_eventloop_lag_max_seconds \d/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d/m);
    // Not the defaults that list every handle per scrape (one per node session at fleet scale).
    expect(text).not.toMatch(/^nodejs_active_(handles|resources)/m);
    await watch.body?.cancel();
    const after = await (await h.req('GET', '/metrics')).text();
    expect(after).toContain('apiserver_longrunning_requests{verb="WATCH",resource="pods"} 0');
  });

  it('is authorized as the non-resource URL /metrics', async () => {
    h = await createHarness({ metrics: new HubMetrics(), users: [VIEWER] });
    expect((await h.req('GET', '/metrics', undefined, { token: null })).status).toBe(401);
    const denied = await h.req('GET', '/metrics', undefined, { token: VIEWER.token });
    expect(denied.status).toBe(403);
    expect(await denied.text()).toContain('/metrics');
  });

  it('is absent without metrics', async () => {
    h = await createHarness();
    expect((await h.req('GET', '/metrics')).status).toBe(404);
  });
});

describe('in-flight budgets', () => {
  it('refuses a request past its budget with 429 and Retry-After, leaving the other budgets alone', async () => {
    const metrics = new HubMetrics();
    h = await createHarness({ metrics, inflight: new InflightLimiter({ mutating: 0 }) });
    const refused = await h.req('POST', PODS, testPod('a'));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({ kind: 'Status', reason: 'TooManyRequests', code: 429 });
    expect((await h.req('GET', PODS)).status).toBe(200);
    expect(await (await h.req('GET', '/metrics')).text()).toContain(
      'apiserver_dropped_requests_total{request_kind="mutating"} 1',
    );
  });

  it('counts full lists in their own budget inside the read budget', () => {
    const limiter = new InflightLimiter({ readOnly: 3, lists: 1 });
    const list = limiter.acquire(['readOnly', 'lists']);
    expect('release' in list).toBe(true);
    expect(limiter.acquire(['readOnly', 'lists'])).toEqual({ full: 'lists' });
    const get = limiter.acquire(['readOnly']);
    expect('release' in get).toBe(true);
    expect(limiter.count('readOnly')).toBe(2);
    if ('release' in list) list.release();
    if ('release' in list) list.release();
    expect(limiter.count('lists')).toBe(0);
    expect(limiter.count('readOnly')).toBe(1);
  });
});
