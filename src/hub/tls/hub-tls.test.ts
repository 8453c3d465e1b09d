import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { connect as tcpConnect, type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { systemClock } from '../../api/index.js';
import { caHash, certificateInfo, parseJoinToken } from '../../pki/index.js';
import { userClientCert } from '../../pki/testing/index.js';
import { silentLogger } from '../../platform/index.js';
import { Hub } from '../hub.js';
import { HubTls } from './hub-tls.js';

const run = promisify(execFile);

const dirs: string[] = [];
const tempDir = async (): Promise<string> => {
  const d = await mkdtemp(join(tmpdir(), 'hub-tls-'));
  dirs.push(d);
  return d;
};
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const create = (dataDir: string, extra: Partial<Parameters<typeof HubTls.create>[0]> = {}): Promise<HubTls> =>
  HubTls.create({ dataDir, host: '127.0.0.1', clock: systemClock, logger: silentLogger(), ...extra });

/** A TLS hub on 127.0.0.1 (an ephemeral port) over `dataDir`, not started. */
const loopbackHub = (dataDir: string, extra: Partial<Parameters<typeof Hub.create>[0]> = {}): Promise<Hub> =>
  Hub.create({ dataDir, host: '127.0.0.1', port: 0, logger: silentLogger(), ...extra });

/** One HTTP/1.1 GET over a fresh TLS connection to `url`, the whole response as text. */
function httpsGet(url: string, path: string, ca: string, token?: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const { port } = new URL(url);
    const auth = token ? `Authorization: Bearer ${token}\r\n` : '';
    const s = connect({ host: '127.0.0.1', port: Number(port), ca }, () =>
      s.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`),
    );
    let text = '';
    s.on('data', (d: Buffer) => (text += d.toString()));
    s.on('end', () => resolve(text));
    s.on('error', reject);
  });
}

/**
 * The backlog the kernel gave the socket listening on `port` (`ss`'s Send-Q of a listening socket), and
 * the most it allows (`net.core.somaxconn`).
 */
async function listenBacklog(port: number): Promise<{ backlog: number; most: number }> {
  const { stdout } = await run('ss', ['-Hltn', `sport = :${port}`]);
  const backlog = Number(stdout.trim().split(/\s+/)[2]);
  const most = Number((await readFile('/proc/sys/net/core/somaxconn', 'utf8')).trim());
  return { backlog, most };
}

/** The serial of the certificate a TLS server presents to a fresh connection. */
function presented(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, ca }, () => {
      resolve(s.getPeerCertificate().serialNumber.toLowerCase());
      s.end();
    });
    s.on('error', reject);
  });
}

describe("the hub's PKI", () => {
  it('creates the CA and a serving certificate once, with the key files 0600, and reuses them', async () => {
    const dir = await tempDir();
    const a = await create(dir, { sans: ['hub.example', '10.1.2.3'] });
    expect((await stat(join(dir, 'pki', 'ca.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'pki', 'serving.key'))).mode & 0o777).toBe(0o600);
    const cert = new X509Certificate(a.serving.certPem);
    for (const name of ['localhost', 'hub.example']) expect(cert.checkHost(name)).toBe(name);
    for (const ip of ['127.0.0.1', '::1', '10.1.2.3']) expect(cert.checkIP(ip)).toBe(ip);
    expect(cert.verify(new X509Certificate(a.clusterCa.certPem).publicKey)).toBe(true);

    const b = await create(dir, { sans: ['hub.example', '10.1.2.3'] });
    expect(b.clusterCa.certPem).toBe(a.clusterCa.certPem);
    expect(b.serving.certPem).toBe(a.serving.certPem);
    // A new name: same CA, a new serving certificate that has it.
    const c = await create(dir, { sans: ['hub.example', '10.1.2.3', 'edge.example'] });
    expect(c.clusterCa.certPem).toBe(a.clusterCa.certPem);
    expect(c.serving.certPem).not.toBe(a.serving.certPem);
    expect(new X509Certificate(c.serving.certPem).checkHost('edge.example')).toBe('edge.example');
  });

  it('refuses a CA certificate whose key is gone rather than silently making a new CA', async () => {
    const dir = await tempDir();
    await create(dir);
    await rm(join(dir, 'pki', 'ca.key'));
    await expect(create(dir)).rejects.toThrow(/ca\.crt exists but its key .*ca\.key does not/);
  });

  it('serves a user certificate as given, offering its chain at /cacerts', async () => {
    const dir = await tempDir();
    const own = await create(await tempDir());
    await writeFile(join(dir, 'tls.crt'), own.serving.certPem + own.clusterCa.certPem);
    await writeFile(join(dir, 'tls.key'), own.serving.keyPem);
    const t = await create(dir, { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') });
    expect(t.servingCaPem).toBe(own.clusterCa.certPem);
    expect(t.clusterCa.certPem).not.toBe(own.clusterCa.certPem);
    await expect(create(dir, { certFile: join(dir, 'tls.crt') })).rejects.toThrow(/go together/);
  });

  it('renews the serving certificate live: a connection open before keeps working, a new one gets the new certificate', async () => {
    const dir = await tempDir();
    const tls = await create(dir, { servingCertLifetimeSeconds: 3 });
    const server: Server = createServer(tls.serverOptions(), (req, res) => res.end(`ok ${req.url}`));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const ca = tls.clusterCa.certPem;
    try {
      const before = certificateInfo(tls.serving.certPem).serial;
      expect(await presented(port, ca)).toBe(before);
      const open = connect({ host: '127.0.0.1', port, ca });
      await new Promise((r) => open.once('secureConnect', r));
      tls.start(server);
      await expect.poll(() => certificateInfo(tls.serving.certPem).serial, { timeout: 10_000 }).not.toBe(before);
      const after = certificateInfo(tls.serving.certPem).serial;
      expect(await presented(port, ca)).toBe(after);
      expect(certificateInfo(await readFile(join(dir, 'pki', 'serving.crt'), 'utf8')).serial).toBe(after);
      // The connection made before the renewal still carries requests.
      const answer = await new Promise<string>((resolve) => {
        let got = '';
        open.on('data', (d: Buffer) => {
          got += d.toString();
          if (got.includes('ok /still')) resolve(got);
        });
        open.write('GET /still HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      });
      expect(answer).toContain('ok /still');
    } finally {
      tls.stop();
      server.close();
    }
  });
});

describe('a TLS hub', () => {
  it('serves /cacerts without a token, writes admin.kubeconfig and a K10 join token pinning its CA', async () => {
    const dir = await tempDir();
    const hub = await loopbackHub(dir);
    try {
      const { url } = await hub.start();
      expect(url).toMatch(/^https:/);
      const ca = hub.tls!.clusterCa.certPem;
      const got = await httpsGet(url, '/cacerts', ca);
      expect(got).toMatch(/^HTTP\/1\.1 200/);
      expect(got).toContain(ca.trim());

      const kubeconfig = parse(await readFile(hub.clientFiles.kubeconfig, 'utf8')) as {
        clusters: Array<{ cluster: { server: string; 'certificate-authority-data': string } }>;
        users: Array<{ user: { token: string } }>;
      };
      expect((await stat(hub.clientFiles.kubeconfig)).mode & 0o777).toBe(0o600);
      expect(kubeconfig.clusters[0]?.cluster.server).toBe(url);
      expect(Buffer.from(kubeconfig.clusters[0]!.cluster['certificate-authority-data'], 'base64').toString()).toBe(ca);
      expect(kubeconfig.users[0]?.user.token).toBe(hub.auth.adminToken);

      const token = parseJoinToken(await readFile(hub.clientFiles.joinToken, 'utf8'));
      expect(token).toEqual({ caHash: caHash(ca), secret: hub.auth.joinToken });
    } finally {
      await hub.stop();
    }
    // A restart reads the secret back out of the K10 token: the same join secret.
    const again = await loopbackHub(dir);
    try {
      expect(parseJoinToken(await readFile(join(dir, 'join.token'), 'utf8')).secret).toBe(again.auth.joinToken);
    } finally {
      await again.stop();
    }
  });

  it('resumes no session: a client certificate is read on every connection', async () => {
    const dir = await tempDir();
    const hub = await loopbackHub(dir);
    try {
      const { port } = await hub.start();
      const ca = hub.tls!.clusterCa;
      const { certPem: cert, keyPem } = await userClientCert(ca, 'alice', ['system:masters']);
      /** A GET of a namespace as alice's certificate (offering `session`): the status, any ticket, resumed. */
      const asAlice = (session?: Buffer) =>
        new Promise<{ status: string; tickets: Buffer[]; resumed: boolean }>((resolve, reject) => {
          const tickets: Buffer[] = [];
          const s = connect(
            { host: '127.0.0.1', port, ca: ca.certPem, cert, key: keyPem, ...(session ? { session } : {}) },
            () => s.write('GET /api/v1/namespaces/default HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
          );
          s.on('session', (t: Buffer) => tickets.push(t));
          let text = '';
          s.on('data', (d: Buffer) => (text += d.toString()));
          s.on('end', () => resolve({ status: text.split('\r\n')[0]!, tickets, resumed: s.isSessionReused() }));
          s.on('error', reject);
        });
      const first = await asAlice();
      expect(first.status).toBe('HTTP/1.1 200 OK');
      // TLS 1.3 still sends a ticket (stateful, which the hub keeps nowhere): offering it resumes nothing.
      expect(first.tickets.length).toBeGreaterThan(0);
      const again = await asAlice(first.tickets.at(-1));
      expect(again.resumed).toBe(false);
      expect(again.status).toBe('HTTP/1.1 200 OK');
    } finally {
      await hub.stop();
    }
  });

  it('works on at most --max-handshakes-in-flight handshakes: a connection waits its turn, and /metrics counts it', async () => {
    const dir = await tempDir();
    const hub = await loopbackHub(dir, { maxHandshakesInFlight: 1 });
    try {
      const { url, port } = await hub.start();
      const ca = hub.tls!.clusterCa.certPem;
      // A fleet dialing at once waits in the kernel's queue, as large as it allows, not Node's 511.
      const { backlog, most } = await listenBacklog(port);
      expect(backlog).toBe(Math.min(most, 65_535));
      // A client that connects and says nothing holds the one slot.
      const silent = tcpConnect(port, '127.0.0.1');
      silent.on('error', () => undefined);
      await once(silent, 'connect');
      let answered = false;
      const waiting = httpsGet(url, '/cacerts', ca).then((text) => {
        answered = true;
        return text;
      });
      await new Promise((r) => setTimeout(r, 300)); // the gate's wait is 5 s: it is still waiting
      expect(answered).toBe(false);
      silent.destroy();
      expect(await waiting).toMatch(/^HTTP\/1\.1 200/);

      const metrics = await httpsGet(url, '/metrics', ca, hub.auth.adminToken);
      const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1]);
      expect(value('edgeplane_hub_tls_connections_admitted_total')).toBe(3); // silent, /cacerts, /metrics
      expect(value('edgeplane_hub_tls_connections_shed_total')).toBe(0);
      expect(value('edgeplane_hub_tls_connections_waiting')).toBe(0);
      expect(value('edgeplane_hub_tls_handshakes_in_flight')).toBe(0);

      // Stopping with a connection in its handshake (and one waiting) does not hang.
      const stall = tcpConnect(port, '127.0.0.1');
      stall.on('error', () => undefined);
      await once(stall, 'connect');
      const late = tcpConnect(port, '127.0.0.1');
      late.on('error', () => undefined);
      await once(late, 'connect');
      // Listened for before stopping: the hub may end them before its stop() returns.
      const ended = Promise.all([once(stall, 'close'), once(late, 'close')]);
      await hub.stop();
      await ended;
    } finally {
      await hub.stop();
    }
  });

  it('listens directly without a gate when --max-handshakes-in-flight is 0', async () => {
    const dir = await tempDir();
    const hub = await loopbackHub(dir, { maxHandshakesInFlight: 0 });
    try {
      const { url, port } = await hub.start();
      const ca = hub.tls!.clusterCa.certPem;
      const { backlog, most } = await listenBacklog(port);
      expect(backlog).toBe(Math.min(most, 65_535));
      expect(await httpsGet(url, '/cacerts', ca)).toMatch(/^HTTP\/1\.1 200/);
      const metrics = await httpsGet(url, '/metrics', ca, hub.auth.adminToken);
      expect(metrics).toMatch(/^edgeplane_hub_tls_connections_admitted_total 0$/m); // no gate counts

      // Stopping with a connection in its handshake does not wait out the 120 s handshake timeout.
      const stall = tcpConnect(port, '127.0.0.1');
      stall.on('error', () => undefined);
      await once(stall, 'connect');
      const ended = once(stall, 'close');
      await hub.stop();
      await ended;
    } finally {
      await hub.stop();
    }
  });
});
