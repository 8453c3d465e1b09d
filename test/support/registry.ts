/**
 * A real OCI registry for tests: Debian's `docker-registry` (distribution 2.8) started on a loopback
 * address with its own storage, optionally behind token authentication served by a small token
 * server here (RS256 JWTs signed with a throwaway certificate the registry trusts) — anonymous pulls
 * of public repositories, credentials needed for `private/*` and for pushes, as Docker Hub behaves.
 * `push` uploads a built image with the distribution API itself.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createSign, randomUUID, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { freePort, until } from './cluster.js';
import type { BuiltImage } from './oci-images.js';

/** Options of {@link TestRegistry.start}. */
export interface TestRegistryOptions {
  address: string;
  dir: string;
  /** Token authentication with these users (name → password); without it the registry is open. */
  users?: Record<string, string>;
}

const SERVICE = 'edge-test-registry';
const ISSUER = 'edge-test-issuer';
const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/** A running registry (and token server). */
export class TestRegistry {
  private constructor(
    readonly host: string,
    private readonly proc: ChildProcess,
    private readonly tokenServer: Server | undefined,
    private readonly tokenUrl: string | undefined,
    private readonly opts: TestRegistryOptions,
  ) {}

  static async start(opts: TestRegistryOptions): Promise<TestRegistry> {
    mkdirSync(opts.dir, { recursive: true });
    let tokenServer: Server | undefined;
    let tokenUrl: string | undefined;
    let auth = '';
    if (opts.users) {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          join(opts.dir, 'token.key'),
          '-out',
          join(opts.dir, 'token.crt'),
          '-days',
          '2',
          '-subj',
          '/CN=edge-test-token',
        ],
        { stdio: 'ignore' },
      );
      tokenServer = tokenService(
        opts.users,
        readFileSync(join(opts.dir, 'token.key'), 'utf8'),
        readFileSync(join(opts.dir, 'token.crt'), 'utf8'),
      );
      // The token server binds its own port (0): nothing to pick, nothing to collide with.
      await new Promise<void>((res) => tokenServer!.listen(0, opts.address, res));
      const tokenPort = (tokenServer.address() as AddressInfo).port;
      tokenUrl = `http://${opts.address}:${tokenPort}/token`;
      auth = `auth:\n  token:\n    realm: ${tokenUrl}\n    service: ${SERVICE}\n    issuer: ${ISSUER}\n    rootcertbundle: ${join(opts.dir, 'token.crt')}\n`;
    }
    // Another process may bind the picked port before the registry does (freePort releases it): the
    // registry then exits, and a fresh port is tried.
    let last: unknown;
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        const { proc, host } = await serve(opts, auth);
        return new TestRegistry(host, proc, tokenServer, tokenUrl, opts);
      } catch (err) {
        last = err;
      }
    }
    tokenServer?.close();
    throw last;
  }

  /** Pushes `image` as `repo:tag` (blobs, then child manifests, then the tagged manifest). */
  async push(repo: string, tag: string, image: BuiltImage): Promise<void> {
    const headers: Record<string, string> = {};
    if (this.tokenUrl && this.opts.users) {
      const [user, pass] = Object.entries(this.opts.users)[0]!;
      const r = await fetch(`${this.tokenUrl}?service=${SERVICE}&scope=repository:${repo}:pull,push`, {
        headers: { authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` },
      });
      headers.authorization = `Bearer ${((await r.json()) as { token: string }).token}`;
    }
    const base = `http://${this.host}/v2/${repo}`;
    for (const [digest, blob] of image.blobs) {
      if ((await fetch(`${base}/blobs/${digest}`, { method: 'HEAD', headers })).status === 200) continue;
      const start = await fetch(`${base}/blobs/uploads/`, { method: 'POST', headers });
      if (start.status !== 202) throw new Error(`upload start → ${start.status}: ${await start.text()}`);
      const loc = new URL(start.headers.get('location') ?? '', base);
      loc.searchParams.set('digest', digest);
      const put = await fetch(loc, {
        method: 'PUT',
        headers: { ...headers, 'content-type': 'application/octet-stream' },
        body: blob.bytes,
      });
      if (put.status !== 201) throw new Error(`blob upload → ${put.status}: ${answerOf(await put.text())}`);
    }
    for (const m of [...image.children.map((c) => ({ ...c, ref: c.digest })), { ...image.manifest, ref: tag }]) {
      const r = await fetch(`${base}/manifests/${m.ref}`, {
        method: 'PUT',
        headers: { ...headers, 'content-type': m.mediaType },
        body: m.bytes,
      });
      if (r.status !== 201) throw new Error(`manifest ${m.ref} → ${r.status}: ${answerOf(await r.text())}`);
    }
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null) {
      this.proc.kill('SIGTERM');
      await new Promise((r) => this.proc.once('exit', r));
    }
    await new Promise((r) => (this.tokenServer ? this.tokenServer.close(r) : r(undefined)));
    rmSync(this.opts.dir, { recursive: true, force: true });
  }
}

/** Starts docker-registry on a free port of `opts.address` and waits until it answers as itself. */
async function serve(opts: TestRegistryOptions, auth: string): Promise<{ proc: ChildProcess; host: string }> {
  const port = await freePort(opts.address);
  writeFileSync(
    join(opts.dir, 'config.yml'),
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(opts.dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: ${opts.address}:${port}\n${auth}`,
  );
  const proc = spawn('docker-registry', ['serve', join(opts.dir, 'config.yml')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const host = `${opts.address}:${port}`;
  let exited = false;
  try {
    await until(
      'the registry to answer',
      async () => {
        if (proc.exitCode !== null) {
          exited = true;
          return true;
        }
        const r = await fetch(`http://${host}/v2/`);
        // Only the registry names its API version: anything else on this port is not it.
        if (r.headers.get('docker-distribution-api-version') === null) {
          throw new Error(`${host} is answered by something other than docker-registry (${r.status})`);
        }
        return r.status === 200 || r.status === 401;
      },
      20_000,
      50,
    );
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  }
  if (exited) throw new Error(`docker-registry exited (${proc.exitCode}): ${err.trim().slice(-300)}`);
  return { proc, host };
}

/** The token endpoint: anonymous pull of public repositories; users get everything they ask for. */
function tokenService(users: Record<string, string>, key: string, certPem: string): Server {
  const x5c = [new X509Certificate(certPem).raw.toString('base64')];
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://token');
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    let user: string | undefined;
    if (basic) {
      const [name = '', pass] = Buffer.from(basic, 'base64').toString().split(':');
      if (users[name] !== pass) {
        res.writeHead(401).end('{"details":"wrong credentials"}');
        return;
      }
      user = name;
    }
    const access = url.searchParams.getAll('scope').flatMap((scope) => {
      const [type, name = '', actions = ''] = scope.split(':');
      const granted = actions
        .split(',')
        .filter((a) => user !== undefined || (a === 'pull' && !name.startsWith('private/')));
      return type === 'repository' && granted.length > 0 ? [{ type, name, actions: granted }] : [];
    });
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: ISSUER,
      sub: user ?? '',
      aud: url.searchParams.get('service') ?? SERVICE,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const unsigned = `${b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5c }))}.${b64url(JSON.stringify(claims))}`;
    const token = `${unsigned}.${b64url(createSign('RSA-SHA256').update(unsigned).sign(key))}`;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, expires_in: 300 }));
  });
}

/**
 * A registry's answer for an error message: its error codes, never the body itself (a wrong server
 * answering, a token endpoint, would put its token in the test output).
 */
function answerOf(body: string): string {
  try {
    const { errors } = JSON.parse(body) as { errors?: Array<{ code?: string }> };
    if (Array.isArray(errors)) return `errors ${errors.map((e) => e.code ?? '?').join(', ')}`;
  } catch {
    // not JSON
  }
  return `a body of ${body.length} bytes that is not a registry error (withheld)`;
}
