/**
 * Limits of the hub's HTTP server, on a real Hub listening on loopback: oversize headers and
 * request lines are refused by Node's parser (431) before any handler runs, and a maximum-size
 * hostile selector costs the API no more than an ordinary request.
 */
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SELECTOR_LENGTH } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { Hub } from '../hub.js';

let dir: string;
let hub: Hub;
let port: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'http-limits-'));
  // The HTTP server's limits over plain sockets (TLS is covered by test/tls-join.test.ts and src/hub/tls).
  hub = await Hub.create({ dataDir: dir, host: '127.0.0.1', port: 0, logger: silentLogger(), insecureHttp: true });
  port = (await hub.start()).port;
});
afterAll(async () => {
  await hub.stop();
  await rm(dir, { recursive: true, force: true });
});

/** One raw request; resolves with the status and body (or the socket error). */
function send(path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'GET',
        headers: { authorization: `Bearer ${hub.auth.adminToken}`, ...headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('hub HTTP limits', () => {
  it('answers 431 to headers past 16 KiB, and keeps serving', async () => {
    expect((await send('/api/v1/namespaces/default/pods', { 'x-big': 'a'.repeat(8 * 1024) })).status).toBe(200);
    expect((await send('/api/v1/namespaces/default/pods', { 'x-big': 'a'.repeat(17 * 1024) })).status).toBe(431);
    const many: Record<string, string> = {};
    for (let i = 0; i < 2000; i++) many[`x-h${i}`] = 'v';
    // Node's parser refuses these itself (431, or 400 for too many header lines) before any handler runs.
    expect([400, 431]).toContain((await send('/api/v1/namespaces/default/pods', many)).status);
    expect((await send('/healthz', {})).status).toBe(200);
  });

  it('answers 431 to a request line (URL and query) past 16 KiB', async () => {
    expect((await send(`/api/v1/namespaces/default/pods?labelSelector=${'a'.repeat(17 * 1024)}`, {})).status).toBe(431);
  });

  it('parses or refuses maximum-size hostile selectors with a Status', async () => {
    const hostile = [
      `${'a'.repeat(MAX_SELECTOR_LENGTH - 2)} (`,
      `a in (${'x,'.repeat((MAX_SELECTOR_LENGTH - 8) / 2)})`,
      Array.from({ length: 100 }, (_, i) => `k${i} notin (a,b,c)`).join(','),
    ];
    for (const sel of hostile) {
      // Commas and parentheses need no escaping in a query; spaces go as '+', so the URL stays under 16 KiB.
      const res = await send(`/api/v1/namespaces/default/pods?labelSelector=${sel.replace(/ /g, '+')}`, {});
      expect([200, 400]).toContain(res.status);
      expect(JSON.parse(res.body)).toHaveProperty('kind');
    }
    const tooLong = await send(
      `/api/v1/namespaces/default/pods?labelSelector=${'a'.repeat(MAX_SELECTOR_LENGTH + 1)}`,
      {},
    );
    expect(tooLong.status).toBe(400);
    expect(JSON.parse(tooLong.body)).toMatchObject({
      kind: 'Status',
      reason: 'BadRequest',
      details: { causes: [{ field: 'labelSelector' }] },
    });
    const spaces = await send(`/api/v1/pods?fieldSelector=metadata.name=${'+'.repeat(MAX_SELECTOR_LENGTH - 20)}x`, {});
    expect(spaces.status).toBe(200);
  });
});
