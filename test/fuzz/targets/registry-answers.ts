/**
 * Fuzz target `registry-answers`: a hostile OCI registry (a real HTTP server in this process) answers
 * the node's registry client with random statuses, redirects (loops, to another host, to link-local
 * and other schemes, with credentials), `WWW-Authenticate` challenges (Basic, Bearer with realms of
 * every scheme, garbage), a token server's random answers, and error bodies of any size and shape.
 * Properties: every pull ends — a verified blob or an ImagePullError whose message is short enough for
 * a pod Event (under 2 KiB) and never holds the node's password; the node's credentials never reach
 * another host than the registry and its token realm (the "CDN" server records any it gets).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { ImagePullError } from '../../../src/api/index.js';
import { RegistryClient, RegistryCredentials, sha256Digest } from '../../../src/distribution/index.js';
import type { FuzzTarget } from '../target.js';

const PASSWORD = 'fuzz-node-password-7f3a';
const BLOB = Buffer.from('the real blob');
const BLOB_DIGEST = sha256Digest(BLOB);

interface Answer {
  status: number;
  location: string | null;
  challenge: string | null;
  contentType: string | null;
  body: string;
}

interface Input {
  op: 'blob' | 'manifest';
  registry: Answer;
  token: { status: number; body: string };
  cdn: Answer;
}

interface Ctx {
  registry: Server;
  cdn: Server;
  registryHost: string;
  cdnBase: string;
  current: Input | undefined;
  /** Requests the CDN got that carried an Authorization header. */
  leaked: number;
  client: RegistryClient;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<[Server, string]> {
  const s = createServer(handler);
  s.keepAliveTimeout = 1000;
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return [s, `127.0.0.1:${(s.address() as AddressInfo).port}`];
}

function answer(res: ServerResponse, a: Answer): void {
  const headers: Record<string, string> = {};
  if (a.location !== null) headers.location = a.location;
  if (a.challenge !== null) headers['www-authenticate'] = a.challenge;
  if (a.contentType !== null) headers['content-type'] = a.contentType;
  res.writeHead(a.status, headers).end(a.status === 200 && a.body === '<blob>' ? BLOB : a.body);
}

/** Bodies: registry error JSON of any shape, big text, the real blob. */
const body = fc.oneof(
  fc.constant('<blob>'),
  fc.string({ maxLength: 200 }),
  fc.integer({ min: 0, max: 100 * 1024 }).map((n) => 'e'.repeat(n)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify({ errors: v })),
  fc
    .array(
      fc.record({
        code: fc.oneof(fc.constantFrom('BLOB_UNKNOWN', 'MANIFEST_UNKNOWN', 'NAME_UNKNOWN', 'DENIED'), fc.string()),
        message: fc.oneof(
          fc.string(),
          fc.integer({ min: 0, max: 80_000 }).map((n) => 'm'.repeat(n)),
        ),
      }),
      { maxLength: 4 },
    )
    .map((errors) => JSON.stringify({ errors })),
);

function answerArb(registryHost: string, cdnBase: string): fc.Arbitrary<Answer> {
  const location = fc.oneof(
    fc.constantFrom(
      `${cdnBase}/storage/blob?sig=1`,
      `/v2/app/blobs/${BLOB_DIGEST}?again`,
      'http://169.254.169.254/latest/meta-data/',
      'http://[fe80::1]/',
      'http://2852039166/',
      'file:///etc/shadow',
      'https://user:pw@example.invalid/x',
      'http://[',
      'gopher://x/',
      `http://localhost:1/x`,
      '',
    ),
    fc.string({ maxLength: 50 }),
    // Random paths on the CDN or on a closed loopback port: the fuzzer never reaches the network.
    fc.webPath().map((p) => `${cdnBase}${p}`),
    fc.webPath().map((p) => `http://127.0.0.1:1${p}`),
  );
  const realm = fc.oneof(
    fc.constantFrom(
      `http://${registryHost}/token`,
      `${cdnBase}/token`,
      'https://127.0.0.1:1/token',
      'file:///etc/passwd',
      'ftp://x/',
      'not a url',
      `http://${registryHost}/token?x=1`,
    ),
    fc.webPath().map((p) => `http://${registryHost}/token${p}`),
  );
  const challenge = fc.oneof(
    realm.map((r) => `Bearer realm="${r}",service="reg",scope="repository:app:pull"`),
    fc.constantFrom('Basic realm="reg"', 'Bearer service="x"', 'Negotiate abc', 'Bearer realm=', '"', ''),
    fc.string({ maxLength: 80 }),
  );
  return fc.record({
    status: fc.constantFrom(200, 200, 301, 302, 303, 307, 308, 400, 401, 401, 403, 404, 429, 500, 503),
    location: fc.option(location, { freq: 2 }),
    challenge: fc.option(challenge, { freq: 2 }),
    contentType: fc.option(
      fc.constantFrom('application/json', 'application/vnd.oci.image.manifest.v1+json', 'text/html'),
      { freq: 2 },
    ),
    body,
  });
}

export const target: FuzzTarget<Ctx, Input> = {
  name: 'registry-answers',

  async setup() {
    const ctx = { current: undefined, leaked: 0 } as Partial<Ctx> as Ctx;
    [ctx.registry, ctx.registryHost] = await listen((req, res) => {
      const c = ctx.current;
      if (!c) return void res.writeHead(500).end();
      if (req.url?.startsWith('/token'))
        return void res.writeHead(c.token.status, { 'content-type': 'application/json' }).end(c.token.body);
      answer(res, c.registry);
    });
    let cdnHost: string;
    [ctx.cdn, cdnHost] = await listen((req, res) => {
      const c = ctx.current;
      // A realm the registry names on another host is its token server (auth.docker.io is): it gets
      // the Basic credentials by design. Anything else on that host is storage: never credentials.
      if (req.url?.startsWith('/token'))
        return void res
          .writeHead(c?.token.status ?? 500, { 'content-type': 'application/json' })
          .end(c?.token.body ?? '');
      if (req.headers.authorization !== undefined) ctx.leaked++;
      if (!c) return void res.writeHead(500).end();
      answer(res, c.cdn);
    });
    ctx.cdnBase = `http://${cdnHost}`;
    ctx.client = new RegistryClient({
      credentials: new RegistryCredentials([[ctx.registryHost, { username: 'node', password: PASSWORD }]]),
      timeoutMs: 5_000,
    });
    return ctx;
  },

  arbitrary(ctx) {
    const a = answerArb(ctx.registryHost, ctx.cdnBase);
    return fc.record({
      op: fc.constantFrom('blob' as const, 'manifest' as const),
      registry: a,
      token: fc.record({
        status: fc.constantFrom(200, 200, 401, 403, 500, 302),
        body: fc.oneof(
          fc.string({ maxLength: 100 }).map((t) => JSON.stringify({ token: t, expires_in: 60 })),
          fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
          fc.integer({ min: 0, max: 100 * 1024 }).map((n) => `{"token":"${'t'.repeat(n)}"}`),
        ),
      }),
      cdn: a,
    });
  },

  async check(ctx, input) {
    ctx.current = input;
    const leakedBefore = ctx.leaked;
    // Fresh authorization state per case: a token cached by one case must not hide the next one's challenge.
    ctx.client = new RegistryClient({
      credentials: new RegistryCredentials([[ctx.registryHost, { username: 'node', password: PASSWORD }]]),
      timeoutMs: 5_000,
    });
    const ref = { registry: ctx.registryHost, repository: 'app' };
    const desc = { mediaType: 'application/octet-stream', digest: BLOB_DIGEST, size: BLOB.length };
    try {
      if (input.op === 'blob') {
        const got = await ctx.client.getBlob(ref, desc, 1024);
        if (!BLOB.equals(Buffer.from(got))) throw new Error('a blob that is not the one asked for was accepted');
      } else {
        await ctx.client.getManifest(ref, 'latest');
      }
    } catch (err) {
      if (!(err instanceof ImagePullError))
        throw new Error(
          `not an ImagePullError: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`.slice(0, 500),
          { cause: err },
        );
      if (err.message.length > 2048)
        throw new Error(`error message of ${err.message.length} chars: ${err.message.slice(0, 200)}…`, { cause: err });
      if (err.message.includes(PASSWORD)) throw new Error('the password is in an error message', { cause: err });
    } finally {
      ctx.current = undefined;
    }
    if (ctx.leaked !== leakedBefore) throw new Error('the CDN host got an Authorization header');
  },

  async teardown(ctx) {
    for (const s of [ctx.registry, ctx.cdn]) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  },
};
