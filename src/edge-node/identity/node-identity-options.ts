/** What the node's identity is loaded with and gives out, and the error it fails with. */
import type { Clock, Logger } from '../../api/index.js';

/** The node's TLS material: its key and certificate, and the CAs it trusts (PEM). */
export interface NodeTlsMaterial {
  keyPem: string;
  certPem: string;
  /** The hub's CA, pinned at join: what the hub's serving certificate is verified against. */
  caPem: string;
  /**
   * The CA that signs node certificates (the hub's cluster CA), as the hub sent it with this node's
   * certificate over the pinned connection: the only issuer the mesh trusts for peers. The same as
   * `caPem` with the hub's own PKI; another when the hub serves a user's certificate (`--tls-cert-file`).
   */
  signerCaPem: string;
}

/** The node cannot get or keep a credential; the message says what to do (the CLI exits 1 with it). */
export class NodeIdentityError extends Error {
  override readonly name = 'NodeIdentityError';
}

/** What {@link NodeIdentity.load} needs. */
export interface NodeIdentityOptions {
  dataDir: string;
  /**
   * The hub's base URL (`https://host:port`), or a function giving the current one: a node that knows
   * several hubs renews its certificate with the hub its session is on.
   */
  hubBase: string | (() => string);
  /**
   * Every hub the node knows (base URLs, in order). A first join asks `hubBase`, then each of these in
   * turn while a hub cannot be reached or answers 5xx, so one hub down at the join does not stop it; a
   * refusal (401, 403, 409) is final. Renewals go to `hubBase` only (the session's hub) and retry.
   */
  hubs?: () => readonly string[];
  nodeName: string;
  /** The pinned hub CA bundle (PEM); default: `<data-dir>/pki/hub-ca.crt`. */
  caPem?: string;
  /** The node's address (goes into its certificate's SANs). */
  address?: string;
  /** The bootstrap token's secret; needed only when there is no valid certificate yet. */
  bootstrapToken?: string;
  logger: Logger;
  clock?: Clock;
  /** Renewal retry back-off (default 1 s doubling to 60 s). */
  retry?: { initialMs: number; maxMs: number };
}
