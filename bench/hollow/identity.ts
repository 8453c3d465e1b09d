/**
 * Hollow-node credentials, got as a real node gets them: the join token's CA hash pins the hub CA
 * (fetched once from `/cacerts` and checked, as `hub-trust.ts` does), each node makes its own P-256
 * key and sends a CSR with the bootstrap token to `POST /bootstrap/node-certificate`. Everything is
 * kept in `<data-dir>/<node>/pki/` with the agent's file names, so a re-run or a reconnect presents the
 * stored certificate and skips the CSR; a certificate of another CA (a fresh hub) is re-requested
 * with the stored key (key generation is skipped too). The bootstrap secret never leaves this module.
 */
import { X509Certificate, createPublicKey } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { createSecureContext, type SecureContext } from 'node:tls';
import { Agent, request } from 'undici';
import { NODE_CERTIFICATE_PATH, NodeCertificateResponse } from '../../src/api/index.js';
import { caHash, createCsr, generateKeyPair, parseJoinToken, splitCertificateBundle } from '../../src/pki/index.js';

/** One node's credential: its key and certificate, and the TLS context built from them (reused across dials). */
export interface HollowCredential {
  keyPem: string;
  certPem: string;
  /** TLS context of this node's dials: hub CA + its key and certificate, built once. */
  context: SecureContext;
}

/** How a credential was obtained: from disk, by a CSR with a stored key, or by a new key and a CSR. */
export type CredentialSource = 'stored' | 'csr' | 'keygen+csr';

/** Reads `<dir>/<file>`, or undefined when it does not exist. */
async function readMaybe(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Fetches `/cacerts` without verification and checks it against the token's hash (K3s's pinning). */
async function fetchPinnedCa(server: URL, pinned: string): Promise<string> {
  const body = await new Promise<string>((resolve, reject) => {
    const req = httpsRequest(
      new URL('/cacerts', server),
      { method: 'GET', rejectUnauthorized: false, timeout: 15_000 },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
          if (text.length > 64 * 1024) req.destroy(new Error('/cacerts answered more than 64 KiB'));
        });
        res.on('end', () =>
          res.statusCode === 200 ? resolve(text) : reject(new Error(`/cacerts: HTTP ${res.statusCode ?? 0}`)),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('/cacerts: no answer within 15 s')));
    req.on('error', reject);
    req.end();
  });
  const bundle = splitCertificateBundle(body).join('');
  const got = caHash(bundle);
  if (got !== pinned) throw new Error(`the hub's CA hash ${got} is not the join token's ${pinned}: refusing to join`);
  return bundle;
}

/** The credentials of a whole hollow fleet against one hub. */
export class HollowIdentities {
  readonly #dispatcher: Agent;

  private constructor(
    private readonly server: URL,
    private readonly dataDir: string,
    readonly caPem: string,
    private readonly bootstrapSecret: string,
  ) {
    // One pool for every first join: bootstrap requests carry a token, not a client certificate.
    this.#dispatcher = new Agent({ connect: { ca: caPem }, connections: 8 });
  }

  /** Pins the hub's CA with the join token (`K10<hash>::<secret>`), as `edge-node --token-file` does. */
  static async open(opts: { server: string; joinToken: string; dataDir: string }): Promise<HollowIdentities> {
    const token = parseJoinToken(opts.joinToken.trim());
    if (token.caHash === undefined) throw new Error('the join token carries no CA hash (expected K10<hash>::<secret>)');
    const server = new URL(opts.server);
    if (server.protocol !== 'https:') throw new Error(`the hollow fleet speaks TLS only; got ${opts.server}`);
    await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
    const ca = await fetchPinnedCa(server, token.caHash);
    return new HollowIdentities(server, opts.dataDir, ca, token.secret);
  }

  /** The node's stored credential when the current hub CA signed it, else a new one by CSR. */
  async load(
    node: string,
    opts: { forceCsr?: boolean } = {},
  ): Promise<{ cred: HollowCredential; source: CredentialSource }> {
    const dir = join(this.dataDir, node, 'pki');
    const keyPath = join(dir, 'node.key');
    const certPath = join(dir, 'node.crt');
    let keyPem = await readMaybe(keyPath);
    let certPem = opts.forceCsr ? undefined : await readMaybe(certPath);
    if (keyPem !== undefined && certPem !== undefined && this.#signedByHub(certPem))
      return { cred: this.#credential(keyPem, certPem), source: 'stored' };
    let source: CredentialSource = 'csr';
    if (keyPem === undefined) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      keyPem = (await this.#newKey(keyPath)).privateKeyPem;
      source = 'keygen+csr';
    }
    certPem = await this.#requestCertificate(node, keyPem);
    await writeFile(certPath, certPem, { mode: 0o600 });
    await writeFile(join(dir, 'hub-ca.crt'), this.caPem, { mode: 0o644 });
    return { cred: this.#credential(keyPem, certPem), source };
  }

  /** Closes the bootstrap connection pool. */
  async close(): Promise<void> {
    await this.#dispatcher.close();
  }

  async #newKey(keyPath: string): Promise<{ privateKeyPem: string }> {
    const keys = await generateKeyPair();
    await writeFile(keyPath, keys.privateKeyPem, { mode: 0o600 });
    return keys;
  }

  async #requestCertificate(node: string, keyPem: string): Promise<string> {
    const publicKeyPem = createPublicKey(keyPem).export({ type: 'spki', format: 'pem' }).toString();
    const csr = await createCsr({
      privateKeyPem: keyPem,
      publicKeyPem,
      commonName: `system:node:${node}`,
      organizations: ['system:nodes'],
    });
    const res = await request(new URL(NODE_CERTIFICATE_PATH, this.server), {
      method: 'POST',
      dispatcher: this.#dispatcher,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.bootstrapSecret}` },
      body: JSON.stringify({ csr, address: '127.0.0.1' }),
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
    });
    const text = await res.body.text();
    if (res.statusCode !== 201 && res.statusCode !== 200)
      throw new Error(`node ${node}: the hub refused its CSR (HTTP ${res.statusCode}): ${text.slice(0, 200)}`);
    return NodeCertificateResponse.parse(JSON.parse(text)).certificate;
  }

  #signedByHub(certPem: string): boolean {
    try {
      const cert = new X509Certificate(certPem);
      return cert.verify(new X509Certificate(this.caPem).publicKey) && Date.parse(cert.validTo) > Date.now();
    } catch {
      return false;
    }
  }

  #credential(keyPem: string, certPem: string): HollowCredential {
    return { keyPem, certPem, context: createSecureContext({ ca: this.caPem, key: keyPem, cert: certPem }) };
  }
}
