/**
 * The node's blob fetch against a real HTTP server playing a wrong hub: a declared size above the
 * bound, an endless body, a stalled one, one dripped slower than the deadline, an error status, a
 * digest that is not one — each a HubBlobError naming the blob, never the token, and nothing grown
 * past the bound.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOB_PATH } from '../api/index.js';
import { HubBlobError, hubBlobFetcher } from './hub-blob.js';

const TOKEN = 'node-token-secret-value';
const BLOB = Buffer.from('a wasm component, say');
const DIGEST = `sha256:${createHash('sha256').update(BLOB).digest('hex')}`;
let route: (req: IncomingMessage, res: ServerResponse) => void;
let requests = 0;
let server: Server;
let hubBase: string;

/** Writes `chunk` every `delayMs` (0: as fast as the client reads) until the client goes away. */
function endless(res: ServerResponse, chunk: Buffer, delayMs: number): void {
  let closed = false;
  res.on('close', () => (closed = true));
  res.on('error', () => undefined);
  const more = (): void => {
    if (closed) return;
    const go = (): void => void (delayMs > 0 ? setTimeout(more, delayMs) : setImmediate(more));
    if (res.write(chunk)) go();
    else res.once('drain', go);
  };
  more();
}

beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    route(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hubBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

async function failure(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HubBlobError);
  const message = (err as Error).message;
  expect(message).not.toContain(TOKEN);
  return message;
}

describe('hubBlobFetcher', () => {
  const fetcher = (): ReturnType<typeof hubBlobFetcher> =>
    hubBlobFetcher({ hubBase, token: TOKEN, maxBytes: 1024 * 1024, idleTimeoutMs: 300, deadlineMs: 1500 });

  it('fetches a blob by digest with the node token', async () => {
    let seen: IncomingMessage | undefined;
    route = (req, res) => void ((seen = req), res.writeHead(200).end(BLOB));
    expect(Buffer.from(await fetcher()(DIGEST))).toEqual(BLOB);
    expect(seen?.url).toBe(`${BLOB_PATH}/${DIGEST}`);
    expect(seen?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('with several hubs, asks the others when the current one has not got the blob or is down, but not past a refusal', async () => {
    // Two "hubs" on one server, told apart by a path prefix: /a has no blob, /b has it; a third is down.
    const asked: string[] = [];
    route = (req, res) => {
      asked.push(req.url ?? '');
      if (req.url?.startsWith('/b/')) res.writeHead(200).end(BLOB);
      else if (req.url?.startsWith('/c/')) res.writeHead(403).end();
      else res.writeHead(404).end();
    };
    const down = 'http://127.0.0.1:1';
    const several = (first: string, others: string[]): ReturnType<typeof hubBlobFetcher> =>
      hubBlobFetcher({ hubBase: () => first, otherHubs: () => others, token: TOKEN, idleTimeoutMs: 300 });
    const got = await several(`${hubBase}/a`, [`${hubBase}/a`, down, `${hubBase}/b`])(DIGEST);
    expect(Buffer.from(got)).toEqual(BLOB);
    expect(asked).toEqual([`/a${BLOB_PATH}/${DIGEST}`, `/b${BLOB_PATH}/${DIGEST}`]);
    // No hub has it: the first hub's answer is the error.
    expect(await failure(several(`${hubBase}/a`, [down])(DIGEST))).toMatch(/the hub answered 404/);
    // A refusal (403) is not a missing blob: no other hub is asked.
    asked.length = 0;
    expect(await failure(several(`${hubBase}/c`, [`${hubBase}/b`])(DIGEST))).toMatch(/the hub answered 403/);
    expect(asked).toEqual([`/c${BLOB_PATH}/${DIGEST}`]);
  });

  it('refuses a declared size above the bound before reading, and an endless body at the bound', async () => {
    route = (_req, res) => void res.writeHead(200, { 'content-length': String(64 * 1024 * 1024) }).end();
    expect(await failure(fetcher()(DIGEST))).toMatch(
      new RegExp(`blob ${DIGEST} from the hub: 64Mi is more than the 1Mi a node accepts`),
    );
    route = (_req, res) => endless(res.writeHead(200), Buffer.alloc(64 * 1024, 1), 0);
    expect(await failure(fetcher()(DIGEST))).toMatch(/more than the 1Mi a node accepts/);
  });

  it('gives up on a stalled answer and on one dripped slower than the deadline', async () => {
    route = (_req, res) => void res.writeHead(200).write('x');
    expect(await failure(fetcher()(DIGEST))).toMatch(/Body Timeout|timeout|not received within/i);
    route = () => undefined;
    expect(await failure(fetcher()(DIGEST))).toMatch(/Headers Timeout|timeout/i);
    route = (_req, res) => endless(res.writeHead(200), Buffer.from('y'), 50);
    expect(await failure(fetcher()(DIGEST))).toMatch(/not received within 1500 ms/);
  });

  it('names an error status, and never asks for something that is not a digest', async () => {
    route = (_req, res) => void res.writeHead(404, { 'content-type': 'application/json' }).end('{"kind":"Status"}');
    expect(await failure(fetcher()(DIGEST))).toMatch(/the hub answered 404/);
    const before = requests;
    expect(await failure(fetcher()('sha256:../../api/v1/secrets'))).toMatch(/not a sha256 digest/);
    expect(requests).toBe(before);
  });
});
