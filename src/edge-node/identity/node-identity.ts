/**
 * The node's own credential, as the kubelet's TLS bootstrap and certificate rotation: on first start
 * it makes its key (ECDSA P-256, `pki/node.key`, 0600, never sent anywhere), asks the hub to sign a
 * CSR for `CN=system:node:<name>, O=system:nodes` with the bootstrap token, and keeps the certificate
 * in `pki/node.crt`; from then on every connection presents it and no token. A restart with a valid
 * certificate needs no token. At about two thirds of the certificate's life it renews, with a fresh
 * key, authenticated by the current certificate; listeners (`onRotate`) switch their TLS material.
 */
import { mkdir } from 'node:fs/promises';
import type { Agent } from 'undici';
import { undici } from '../../platform/index.js';
import type { Clock } from '../../api/index.js';
import { errorMessage, systemClock } from '../../api/index.js';
import { certificateFacts, generateKeyPair, renewAt } from '../../pki/lite.js';
import { readIfExists } from '../../durable/index.js';
import { Backoff } from '../backoff.js';
import { CertificateRequestError } from './certificate-client.js';
import { CertificateWorkerHost, keepWarmFor } from './certificate-worker-host.js';
import { certificateProblem, commonNameOf, obtain, obtainFromAnyHub } from './certificate-signing.js';
import { NodeIdentityError, type NodeIdentityOptions, type NodeTlsMaterial } from './node-identity-options.js';
import {
  loadNodeCredentials,
  nodePkiPaths,
  saveNodeCert,
  saveNodeKey,
  saveRotated,
  saveSignerCa,
  type NodePkiPaths,
} from './pki-files.js';

export { NodeIdentityError, type NodeIdentityOptions, type NodeTlsMaterial } from './node-identity-options.js';

// setTimeout's longest delay (about 24.8 days): a later renewal is re-armed in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The node's credential: loaded or bootstrapped, rotated while the agent runs. */
export class NodeIdentity {
  #current: NodeTlsMaterial;
  #dispatcher: Agent | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = true;
  #failures = 0;
  readonly #listeners = new Set<(m: NodeTlsMaterial) => void>();
  readonly #backoff: Backoff;
  readonly #clock: Clock;

  private constructor(
    private readonly opts: NodeIdentityOptions,
    private readonly paths: NodePkiPaths,
    current: NodeTlsMaterial,
    /** The certificate worker: the join's, kept when the first renewal is soon, or none yet. */
    private readonly workers: CertificateWorkerHost,
  ) {
    this.#current = current;
    this.#clock = opts.clock ?? systemClock;
    const retry = opts.retry ?? { initialMs: 1000, maxMs: 60_000 };
    this.#backoff = new Backoff({ ...retry, jitter: 0.2 });
  }

  /**
   * The stored credential when it is valid for this node under the pinned hub CA, else a new one from
   * the bootstrap token. Throws {@link NodeIdentityError} when neither is possible (no pinned CA, no
   * token, the name held by another node's key, a certificate for another name).
   */
  static async load(opts: NodeIdentityOptions): Promise<NodeIdentity> {
    const paths = nodePkiPaths(opts.dataDir);
    await mkdir(paths.dir, { recursive: true, mode: 0o700 });
    const caPem = opts.caPem ?? (await readIfExists(paths.hubCa));
    if (caPem === undefined) {
      throw new NodeIdentityError(`no pinned hub CA at ${paths.hubCa}: join with a K10<hash>::<secret> token first`);
    }
    const now = new Date((opts.clock ?? systemClock).now());
    // Nodes that joined before the signer was kept have none: with the hub's own PKI it is the pinned CA.
    const storedSigner = (await readIfExists(paths.signerCa)) ?? caPem;
    const stored = await loadNodeCredentials(paths);
    if (stored?.certPem !== undefined && stored.keyPem !== undefined) {
      const info = certificateFacts(stored.certPem);
      if (info.commonName !== commonNameOf(opts.nodeName)) {
        throw new NodeIdentityError(
          `${paths.cert} is node ${info.commonName.replace(/^system:node:/, '')}'s, not ${opts.nodeName}'s: ` +
            `start with --name matching it, or delete ${paths.dir}/node.* and join with a bootstrap token`,
        );
      }
      const problem = certificateProblem(stored.certPem, storedSigner, now);
      if (problem === undefined) {
        opts.logger.info(
          { node: opts.nodeName, notAfter: info.notAfter.toISOString() },
          'using the stored node certificate',
        );
        return new NodeIdentity(
          opts,
          paths,
          { keyPem: stored.keyPem, certPem: stored.certPem, caPem, signerCaPem: storedSigner },
          new CertificateWorkerHost(),
        );
      }
      opts.logger.warn({ problem }, 'the stored node certificate cannot be used; bootstrapping a new one');
    }
    if (opts.bootstrapToken === undefined) {
      throw new NodeIdentityError(
        `this node has no valid certificate (${paths.cert}) and no bootstrap token: give --token, --token-file or EDGE_JOIN_TOKEN`,
      );
    }
    // A key made by an earlier attempt that got no certificate is reused: the hub may have bound it.
    let keyPem = stored?.certPem === undefined ? stored?.keyPem : undefined;
    if (keyPem === undefined) {
      keyPem = (await generateKeyPair()).privateKeyPem;
      await saveNodeKey(paths, keyPem);
    }
    const workers = new CertificateWorkerHost();
    let obtained;
    try {
      obtained = await obtainFromAnyHub(opts, caPem, keyPem, opts.bootstrapToken, workers);
    } finally {
      workers.release(obtained && keepWarmFor(obtained.certPem, (opts.clock ?? systemClock).now()));
    }
    const { certPem, signerCaPem } = obtained;
    await saveSignerCa(paths, signerCaPem);
    await saveNodeCert(paths, certPem);
    opts.logger.info(
      { node: opts.nodeName, notAfter: certificateFacts(certPem).notAfter.toISOString() },
      'joined: the hub signed this node’s certificate',
    );
    return new NodeIdentity(opts, paths, { keyPem, certPem, caPem, signerCaPem }, workers);
  }

  /** The current key, certificate, pinned hub CA and node-certificate signer. */
  current(): NodeTlsMaterial {
    return this.#current;
  }

  /** Calls `listener` with the new material after each rotation; returns the unsubscribe. */
  onRotate(listener: (m: NodeTlsMaterial) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Options for a TLS connection to the hub with the current certificate (`ws`, `https`). */
  hubTlsOptions(): { ca: string; cert: string; key: string } {
    const m = this.#current;
    return { ca: m.caPem, cert: m.certPem, key: m.keyPem };
  }

  /** An undici dispatcher presenting the current certificate (a new one after each rotation). */
  dispatcher(): Agent {
    this.#dispatcher ??= new (undici().Agent)({ connect: this.hubTlsOptions() });
    return this.#dispatcher;
  }

  /** Starts the renewal timer. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(renewAt(this.#current.certPem).getTime() - this.#clock.now());
  }

  /** Stops renewing and closes the dispatcher. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.workers.close();
    await this.#dispatcher?.close();
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    const delay = Math.max(0, delayMs);
    this.#timer = setTimeout(
      () => {
        if (delay > MAX_TIMER_MS) this.#schedule(delay - MAX_TIMER_MS);
        else void this.#renew();
      },
      Math.min(delay, MAX_TIMER_MS),
    );
    this.#timer.unref();
  }

  /** Renews now with a fresh key; on failure retries with back-off, logging once per outage. */
  async #renew(): Promise<void> {
    const log = this.opts.logger;
    const old = this.#current;
    try {
      const keyPem = (await generateKeyPair()).privateKeyPem;
      let obtained;
      try {
        obtained = await obtain(
          this.opts,
          old.caPem,
          keyPem,
          { keyPem: old.keyPem, certPem: old.certPem },
          this.workers,
        );
      } finally {
        this.workers.release(obtained && keepWarmFor(obtained.certPem, this.#clock.now()));
      }
      const { certPem, signerCaPem } = obtained;
      if (this.#stopped) return;
      if (signerCaPem !== old.signerCaPem) await saveSignerCa(this.paths, signerCaPem);
      await saveRotated(this.paths, { keyPem, certPem });
      this.#current = { keyPem, certPem, caPem: old.caPem, signerCaPem };
      const previous = this.#dispatcher;
      this.#dispatcher = undefined;
      // Requests in flight finish on the old connections; new ones use the new certificate.
      void previous?.close().catch(() => undefined);
      const notAfter = certificateFacts(certPem).notAfter.toISOString();
      if (this.#failures > 0)
        log.info({ notAfter, failures: this.#failures }, 'node certificate renewed after failures');
      else log.info({ notAfter }, 'node certificate renewed');
      this.#failures = 0;
      this.#backoff.reset();
      for (const l of this.#listeners) {
        try {
          l(this.#current);
        } catch (err) {
          log.error({ err: errorMessage(err) }, 'a certificate rotation listener failed');
        }
      }
      this.#schedule(renewAt(certPem).getTime() - this.#clock.now());
    } catch (err) {
      if (this.#stopped) return;
      const expired = this.#clock.now() >= certificateFacts(old.certPem).notAfter.getTime();
      if (err instanceof CertificateRequestError && err.status === 401 && !expired) {
        // The hub no longer knows this key: the Node was deleted. The session reports it and the agent exits.
        log.error(
          'the hub refused to renew this node’s certificate (401): the node was deleted, its credential revoked',
        );
        return;
      }
      if (expired) {
        log.error(
          { err: errorMessage(err) },
          'the node certificate expired before it could be renewed: restart the node with a bootstrap token to join again',
        );
        return;
      }
      this.#failures += 1;
      // Once per outage at warn; the retries after it at debug.
      if (this.#failures === 1) log.warn({ err: errorMessage(err) }, 'renewing the node certificate failed; retrying');
      else log.debug({ err: errorMessage(err), failures: this.#failures }, 'renewing the node certificate failed');
      this.#schedule(this.#backoff.next());
    }
  }
}
