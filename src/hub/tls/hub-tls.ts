/**
 * The hub's TLS: the cluster CA, the serving certificate and the `https` server options built from
 * them, and the renewal of the serving certificate before it expires (`setSecureContext`, so no open
 * connection is dropped: a new handshake gets the new certificate, an established one keeps going).
 *
 * Two ways to run: the hub's own PKI (the default: CA and serving certificate created and renewed
 * here), or the user's (`--tls-cert-file`/`--tls-private-key-file`: served as given, never renewed
 * here). Either way the cluster CA exists, for the client certificates it signs.
 */
import { constants } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import type { Server as HttpsServer, ServerOptions } from 'node:https';
import { join } from 'node:path';
import type { Clock, Logger } from '../../api/index.js';
import { errorMessage } from '../../api/index.js';
import { caHash, certificateInfo, renewAt, splitCertificateBundle, type CaPem } from '../../pki/index.js';
import { loadOrCreateClusterCa } from './cluster-ca.js';
import {
  DEFAULT_SERVING_CERT_LIFETIME_SECONDS,
  issueServingCert,
  loadServingCert,
  reissueReason,
  saveServingCert,
  servingNames,
  type CertKeyPem,
  type ServingNames,
} from './serving-cert.js';

/** The TLS settings of a hub (from its flags). */
export interface HubTlsOptions {
  dataDir: string;
  /** The listen host (its address goes into the serving certificate). */
  host: string;
  /** Extra names of the serving certificate (`--tls-san`), IP addresses or DNS names. */
  sans?: readonly string[];
  /** Lifetime of the serving certificate the hub issues itself (default one year). */
  servingCertLifetimeSeconds?: number;
  /** Lifetime of the cluster CA when created (default ten years). */
  caLifetimeSeconds?: number;
  /** The user's serving certificate (PEM file, leaf first, then its chain) and key: `--tls-cert-file`. */
  certFile?: string;
  keyFile?: string;
  /** CA bundle (PEM file) of client certificates the hub accepts besides its own CA's: `--client-ca-file`. */
  clientCaFile?: string;
  clock: Clock;
  logger: Logger;
}

// setTimeout's longest delay (about 24.8 days): a later renewal is re-armed in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The hub's PKI at run time. */
export class HubTls {
  #serving: CertKeyPem;
  #server: HttpsServer | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  private constructor(
    private readonly opts: HubTlsOptions,
    /** The cluster CA (certificate and key): signs the serving certificate and client certificates. */
    readonly clusterCa: CaPem,
    /**
     * The CA bundle clients verify the hub with: served at `/cacerts`, put in the kubeconfig, pinned by
     * join tokens. The cluster CA, or with a user's certificate the chain that came with it (none: a
     * client must be given the CA some other way).
     */
    readonly servingCaPem: string | undefined,
    /** CA bundle client certificates are verified against: the cluster CA plus `--client-ca-file`. */
    readonly clientCaPem: string,
    serving: CertKeyPem,
    private readonly names: ServingNames | undefined,
  ) {
    this.#serving = serving;
  }

  /** Loads or creates the CA and the serving certificate. */
  static async create(opts: HubTlsOptions): Promise<HubTls> {
    const pkiDir = join(opts.dataDir, 'pki');
    await mkdir(pkiDir, { recursive: true, mode: 0o700 });
    const now = new Date(opts.clock.now());
    const { ca, created } = await loadOrCreateClusterCa({ pkiDir, now, lifetimeSeconds: opts.caLifetimeSeconds });
    if (created) opts.logger.info({ caHash: caHash(ca.certPem) }, 'created the cluster CA');
    const extraClientCa =
      opts.clientCaFile === undefined ? '' : await readBundle(opts.clientCaFile, '--client-ca-file');
    const clientCaPem = ca.certPem + extraClientCa;

    if (opts.certFile !== undefined || opts.keyFile !== undefined) {
      if (opts.certFile === undefined || opts.keyFile === undefined) {
        throw new Error('--tls-cert-file and --tls-private-key-file go together');
      }
      const certs = splitCertificateBundle(await readBundle(opts.certFile, '--tls-cert-file'));
      const keyPem = await readFile(opts.keyFile, 'utf8');
      const chain = certs.slice(1).join('');
      return new HubTls(
        opts,
        ca,
        chain === '' ? undefined : chain,
        clientCaPem,
        { certPem: certs.join(''), keyPem },
        undefined,
      );
    }

    const names = servingNames(opts.host, opts.sans);
    let serving = await loadServingCert(pkiDir);
    const why = serving === undefined ? 'there is none' : reissueReason(serving, ca, names, now);
    if (serving === undefined || why !== undefined) {
      serving = await issueServingCert({ ca, names, lifetimeSeconds: lifetime(opts), now });
      await saveServingCert(pkiDir, serving);
      opts.logger.info(
        { reason: why, notAfter: certificateInfo(serving.certPem).notAfter },
        'issued the serving certificate',
      );
    }
    return new HubTls(opts, ca, ca.certPem, clientCaPem, serving, names);
  }

  /** The current serving certificate and key (PEM). */
  get serving(): CertKeyPem {
    return this.#serving;
  }

  /**
   * Options of the `https` server. Client certificates are requested but not required: a client
   * without one authenticates with a bearer token, and one whose certificate does not verify is not
   * refused at the handshake (the API answers it 401, as Kubernetes does), so the socket says which.
   */
  serverOptions(): ServerOptions {
    return {
      cert: this.#serving.certPem,
      key: this.#serving.keyPem,
      ca: this.clientCaPem,
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
      // No session tickets. Building a TLS 1.3 ticket costs ~15% of a full handshake's CPU: OpenSSL 3.0
      // copies the session and decodes the client's key again (`docs/benchmarks.md`), twice per
      // connection. The nodes' WebSocket links, most of the hub's handshakes, never offer a session
      // back, and a restarted hub has new ticket keys anyway. edgectl's and undici's keep-alive pools
      // do offer one when they open a new connection; they now get a full handshake. Under TLS 1.3
      // OpenSSL sends a stateful ticket instead, which Node's server stores nowhere.
      secureOptions: constants.SSL_OP_NO_TICKET,
    };
  }

  /** Starts renewing the serving certificate of `server` before it expires (the hub's own PKI only). */
  start(server: HttpsServer): void {
    this.#server = server;
    this.#schedule();
  }

  /** Stops the renewal timer. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(): void {
    if (this.#stopped || this.names === undefined) return;
    const due = renewAt(this.#serving.certPem).getTime();
    const delay = Math.max(0, due - this.opts.clock.now());
    this.#timer = setTimeout(() => void this.#renewIfDue(), Math.min(delay, MAX_TIMER_MS));
    this.#timer.unref();
  }

  async #renewIfDue(): Promise<void> {
    if (this.#stopped || this.names === undefined) return;
    const now = new Date(this.opts.clock.now());
    try {
      if (now >= renewAt(this.#serving.certPem)) await this.renew(now);
    } catch (err) {
      // Keep serving the current certificate and try again shortly; it is still valid for a third of its life.
      this.opts.logger.error({ err: errorMessage(err) }, 'renewing the serving certificate failed; retrying');
      this.#timer = setTimeout(() => void this.#renewIfDue(), 5_000);
      this.#timer.unref();
      return;
    }
    this.#schedule();
  }

  /** Issues a new serving certificate now and swaps it into the server; open connections stay. */
  async renew(now = new Date(this.opts.clock.now())): Promise<void> {
    if (this.names === undefined)
      throw new Error('the serving certificate is the user’s (--tls-cert-file): renew it there');
    const next = await issueServingCert({
      ca: this.clusterCa,
      names: this.names,
      lifetimeSeconds: lifetime(this.opts),
      now,
    });
    await saveServingCert(join(this.opts.dataDir, 'pki'), next);
    this.#serving = next;
    this.#server?.setSecureContext(this.serverOptions());
    this.opts.logger.info({ notAfter: certificateInfo(next.certPem).notAfter }, 'renewed the serving certificate');
  }
}

function lifetime(opts: HubTlsOptions): number {
  return opts.servingCertLifetimeSeconds ?? DEFAULT_SERVING_CERT_LIFETIME_SECONDS;
}

async function readBundle(path: string, flag: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`${flag}: cannot read ${path}: ${errorMessage(err)}`, { cause: err });
  }
  return splitCertificateBundle(text).join('');
}
