/**
 * The registry client against a hostile registry and token server (real HTTP servers here): endless
 * or dripping token and error bodies, error details of any size or shape, redirect loops, redirects
 * to a link-local metadata address or from https down to http, credentials never forwarded to the
 * host a blob redirects to, and token realms that would take the node's credentials in clear text.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ImagePullError } from '../api/index.js';
import { RegistryCredentials } from './credentials.js';
import { sha256Digest } from './digest.js';
import { RegistryAuthorizer } from './registry-auth.js';
import { RegistryClient, redirectTarget } from './registry-client.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const BLOB = Buffer.from('hello blob');
const BLOB_DIGEST = sha256Digest(BLOB);
const CREDS = { username: 'node', password: 's3cret-password' };

/** Writes `chunk` forever (until the client goes away), honouring back-pressure. */
function endless(res: ServerResponse, chunk: Buffer, delayMs = 0): void {
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

let registry: Server;
let cdn: Server;
let registryHost: string;
let cdnBase: string;
/** What the registry serves for a path (the test sets it). */
let route: Handler;
/** Requests the CDN got, with the authorization header each carried. */
let cdnSeen: Array<string | undefined>;
let tokenRequests: number;

async function listen(handler: Handler): Promise<[Server, string]> {
  const s = createServer(handler);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return [s, `127.0.0.1:${(s.address() as AddressInfo).port}`];
}

beforeAll(async () => {
  [registry, registryHost] = await listen((req, res) => {
    if (req.url?.startsWith('/token')) tokenRequests++;
    route(req, res);
  });
  let cdnHost: string;
  [cdn, cdnHost] = await listen((req, res) => {
    cdnSeen.push(req.headers.authorization);
    res.writeHead(200).end(BLOB);
  });
  cdnBase = `http://${cdnHost}`;
});
afterAll(async () => {
  registry.closeAllConnections();
  cdn.closeAllConnections();
  await Promise.all([new Promise((r) => registry.close(r)), new Promise((r) => cdn.close(r))]);
});
beforeEach(() => {
  cdnSeen = [];
  tokenRequests = 0;
});

const ref = (): { registry: string; repository: string } => ({ registry: registryHost, repository: 'app' });
const desc = { mediaType: 'application/octet-stream', digest: BLOB_DIGEST, size: BLOB.length };
const client = (timeoutMs = 5_000): RegistryClient =>
  new RegistryClient({ credentials: new RegistryCredentials([[registryHost, CREDS]]), timeoutMs });

async function pullError(p: Promise<unknown>): Promise<ImagePullError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImagePullError);
  return err as ImagePullError;
}

/** Asks for a Bearer token from `/token<suffix>` of the registry itself. */
const bearer =
  (suffix: string): Handler =>
  (req, res) => {
    if (req.url?.startsWith('/token')) return void res.writeHead(500).end('unexpected');
    res
      .writeHead(401, { 'www-authenticate': `Bearer realm="http://${registryHost}/token${suffix}",service="reg"` })
      .end();
  };

describe('token server answers', () => {
  it('an endless token body is cut at 64 KiB', async () => {
    route = (req, res) =>
      req.url?.startsWith('/token') ? endless(res.writeHead(200), Buffer.alloc(16 * 1024, 0x61)) : bearer('')(req, res);
    const err = await pullError(client().getBlob(ref(), desc, 1024));
    expect(err.message).toMatch(/token from http:\/\/127\.0\.0\.1:\d+ for .*larger than 65536 bytes/);
    expect(err.message).not.toContain(CREDS.password);
  });

  it('a token body dripped slower than the deadline is given up', async () => {
    route = (req, res) =>
      req.url?.startsWith('/token') ? endless(res.writeHead(200), Buffer.from('{'), 20) : bearer('')(req, res);
    const err = await pullError(client(400).getBlob(ref(), desc, 1024));
    expect(err.message).toMatch(/no whole answer within 400 ms/);
  });

  it('a token answer that is JSON but not an object is refused by name (found by the registry-answers fuzzer)', async () => {
    for (const [text, why] of [
      ['null', /JSON that is not an object/],
      ['[1]', /JSON that is not an object/],
      ['7', /JSON that is not an object/],
      ['{"token":5}', /without a token/],
    ] as const) {
      route = (req, res) => (req.url?.startsWith('/token') ? void res.writeHead(200).end(text) : bearer('')(req, res));
      expect((await pullError(client().getBlob(ref(), desc, 1024))).message).toMatch(why);
    }
  });

  it('a plain-http realm named by an https registry gets neither credentials nor a request', async () => {
    route = (_req, res) => void res.writeHead(200).end('{"token":"t"}');
    const auth = new RegistryAuthorizer();
    const challenge = { scheme: 'bearer', params: { realm: `http://${registryHost}/token` } };
    const err = await pullError(
      auth.authorize('registry.example', challenge, 'repository:app:pull', CREDS, { insecureRegistry: false }),
    );
    expect(err.message).toMatch(/token realm http:\/\/127\.0\.0\.1:\d+, which is not https/);
    expect(err.message).not.toContain(CREDS.password);
    const other = await pullError(
      auth.authorize(
        'registry.example',
        { scheme: 'bearer', params: { realm: 'file:///etc/shadow' } },
        's',
        undefined,
        {},
      ),
    );
    expect(other.message).toMatch(/not https/);
    expect(tokenRequests).toBe(0);
    // The same realm is fine for a registry itself reached over plain http (loopback or insecure).
    expect(
      await auth.authorize(registryHost, challenge, 'repository:app:pull', CREDS, { insecureRegistry: true }),
    ).toBe('Bearer t');
    expect(tokenRequests).toBe(1);
  });
});

describe('registry error bodies', () => {
  it('an endless error body is read bounded and the message stays short', async () => {
    route = (_req, res) => endless(res.writeHead(500), Buffer.alloc(16 * 1024, 0x7a));
    const err = await pullError(client().getBlob(ref(), desc, 1024));
    expect(err.message).toMatch(/registry 127\.0\.0\.1:\d+ answered 500 \(z+…\)/);
    expect(err.message.length).toBeLessThan(1024);
  });

  it('a huge JSON detail is cut, its codes still understood', async () => {
    const errors = [
      { code: 'BLOB_UNKNOWN', message: 'x'.repeat(60_000) },
      { code: 'OTHER', message: '\u0000\n'.repeat(100) },
    ];
    route = (_req, res) =>
      void res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ errors }));
    const err = await pullError(client().getBlob(ref(), desc, 1024));
    expect(err.message).toMatch(/not found: no such blob in the repository \(BLOB_UNKNOWN: x+…\)$/);
    expect(err.message.length).toBeLessThan(1024);
  });

  it('error JSON of any other shape is shown as text, never a crash', async () => {
    for (const body of [
      '{"errors":"nope"}',
      '{"errors":[null,5,{"code":7,"message":{}}]}',
      'null',
      '[]',
      '{"errors":[{"code":"MANIFEST_UNKNOWN"}]}',
    ]) {
      route = (_req, res) => void res.writeHead(404).end(body);
      const err = await pullError(client().getBlob(ref(), desc, 1024));
      expect(err.message.length).toBeLessThan(1024);
      expect(err.message).toMatch(/: not found/);
    }
  });
});

describe('redirects', () => {
  it('a blob redirected to another host is fetched there without the registry credentials', async () => {
    route = (req, res) => {
      if (
        req.headers.authorization !== `Basic ${Buffer.from(`${CREDS.username}:${CREDS.password}`).toString('base64')}`
      ) {
        return void res.writeHead(401, { 'www-authenticate': 'Basic realm="reg"' }).end();
      }
      res.writeHead(307, { location: `${cdnBase}/storage/blob?sig=abc` }).end();
    };
    expect(Buffer.from(await client().getBlob(ref(), desc, 1024))).toEqual(BLOB);
    expect(cdnSeen).toEqual([undefined]);
  });

  it('a redirect loop ends after a few hops', async () => {
    let hops = 0;
    route = (_req, res) =>
      void (hops++, res.writeHead(302, { location: `/v2/app/blobs/${BLOB_DIGEST}?hop=${hops}` }).end());
    const err = await pullError(client().getBlob(ref(), desc, 1024));
    expect(err.message).toMatch(/more than 5 redirects/);
    expect(hops).toBe(6);
  });

  it('a redirect to a link-local metadata address or another scheme is refused before any connection', async () => {
    for (const [location, why] of [
      [
        'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
        /link-local address http:\/\/169\.254\.169\.254/,
      ],
      ['http://[fe80::1]:80/x', /link-local address/],
      ['http://2852039166/x', /link-local address http:\/\/169\.254\.169\.254/],
      ['http://[::ffff:169.254.169.254]/x', /link-local address/],
      ['file:///etc/shadow', /redirects to a file: URL, not http\(s\)/],
      ['http://user:pw@example.test/x', /carrying credentials/],
      ['http://[', /redirects to an invalid URL/],
    ] as const) {
      route = (_req, res) => void res.writeHead(302, { location }).end();
      const err = await pullError(client().getBlob(ref(), desc, 1024));
      expect(err.message).toMatch(why);
    }
  });

  it('an https registry cannot redirect down to http, nor to the node itself', () => {
    const from = new URL('https://registry.example/v2/app/blobs/x');
    expect(() => redirectTarget(from, 'http://cdn.example/blob', false, 'blob x')).toThrow(
      /from https to plain http \(http:\/\/cdn\.example\): refused/,
    );
    for (const local of [
      'https://127.0.0.1:2375/x',
      'https://localhost/x',
      'https://[::1]/x',
      'https://0.0.0.0/x',
      'https://[::ffff:127.0.0.1]/x',
    ]) {
      expect(() => redirectTarget(from, local, false, 'blob x')).toThrow(/node's own address/);
    }
    expect(redirectTarget(from, 'https://cdn.example/blob?sig=1', false, 'blob x').href).toBe(
      'https://cdn.example/blob?sig=1',
    );
    expect(redirectTarget(new URL('http://127.0.0.1:5000/v2/'), 'http://127.0.0.1:6000/b', true, 'blob x').port).toBe(
      '6000',
    );
  });
});
