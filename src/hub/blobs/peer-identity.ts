/**
 * How one hub proves itself to another (mutual TLS between hubs): a client certificate signed by the
 * cluster CA every hub of a cluster shares (`pki/` copied, see docs/architecture.md), named
 * `CN=system:hub:<identity>, O=edgeplane:hubs`. The peer's certificate authenticator reads it as a user
 * in that group, and the built-in ClusterRole `system:edgeplane:hub-peer` lets that group read and
 * write the peer blob routes only. The key never leaves this process; the certificate is reissued at
 * half its lifetime.
 */
import { Agent, type Dispatcher } from 'undici';
import type { Clock } from '../../api/index.js';
import { generateKeyPair, issueCertificate, type CaPem } from '../../pki/index.js';

/** The group hub certificates carry; bound to the ClusterRole `system:edgeplane:hub-peer`. */
export const HUB_PEERS_GROUP = 'edgeplane:hubs';
/** Lifetime of a hub's peer certificate: a day, reissued after half. */
const LIFETIME_SECONDS = 24 * 3600;

/** Options of {@link HubPeerIdentity}. */
export interface HubPeerIdentityOptions {
  /** The cluster CA (certificate and key) this hub signs with. */
  ca: () => CaPem;
  /** The CA bundle the peers' serving certificates chain to (undefined: the system's CAs). */
  trust: string | undefined;
  /** This hub's identity (its election and presence name). */
  identity: string;
  clock: Clock;
}

/** A dispatcher presenting this hub's client certificate to its peers. */
export class HubPeerIdentity {
  readonly #o: HubPeerIdentityOptions;
  #current: { agent: Agent; renewAt: number } | undefined;
  #issuing: Promise<Agent> | undefined;

  constructor(opts: HubPeerIdentityOptions) {
    this.#o = opts;
  }

  /** The dispatcher to reach peers with (issuing or reissuing the certificate when due). */
  async dispatcher(): Promise<Dispatcher> {
    const now = this.#o.clock.now();
    if (this.#current !== undefined && now < this.#current.renewAt) return this.#current.agent;
    this.#issuing ??= this.#issue(now).finally(() => (this.#issuing = undefined));
    return this.#issuing;
  }

  /** Closes the dispatcher's connections. */
  async close(): Promise<void> {
    const a = this.#current?.agent;
    this.#current = undefined;
    await a?.close();
  }

  async #issue(now: number): Promise<Agent> {
    const keys = await generateKeyPair();
    const cert = await issueCertificate({
      ca: this.#o.ca(),
      publicKeyPem: keys.publicKeyPem,
      commonName: `system:hub:${this.#o.identity}`,
      organizations: [HUB_PEERS_GROUP],
      usages: ['client'],
      lifetimeSeconds: LIFETIME_SECONDS,
      now: new Date(now),
    });
    const agent = new Agent({
      connect: {
        cert,
        key: keys.privateKeyPem,
        // A dead peer whose presence record is still live must not hold an upload for long.
        timeout: 5_000,
        ...(this.#o.trust !== undefined ? { ca: this.#o.trust } : {}),
      },
    });
    const old = this.#current?.agent;
    this.#current = { agent, renewAt: now + (LIFETIME_SECONDS * 1000) / 2 };
    // Transfers already under way on the old agent finish; it closes once they have.
    void old?.close().catch(() => undefined);
    return agent;
  }
}
