/**
 * Keep-alive connection pools to peer nodes' mesh servers, one undici `Pool` per (peer address, peer
 * node): the handshake happens once per connection, not per request, and undici resumes TLS sessions
 * (its connector caches one per host) when a pool opens another connection to the same peer.
 *
 * In mTLS mode a pool's connections carry this node's certificate and trust only the cluster CA, and
 * a peer must prove it is the node the endpoint names. New material (a rotated certificate, a rotated
 * CA) opens new pools; the old ones are closed gracefully — requests already in them finish on their
 * connections, nothing new goes to them. In insecure-token mode the pools are plain HTTP and the hop
 * carries the cluster's mesh token.
 */
import type { Pool } from 'undici';
import { undici } from '../../../platform/index.js';
import type { PeerDialer } from '../relay/peer-dialer.js';
import type { ServiceEndpoint } from '../balancing/endpoint-picker.js';
import { clientConnectOptions, type MeshTlsMaterial, type MeshTransport } from '../trust/tls-material.js';
import { UpstreamUnreachableError } from './upstream-error.js';

/** How a peer is reached: its pool, its origin and — insecure mode only — the token to send. */
export interface PeerRoute {
  pool: Pool;
  origin: string;
  /** The mesh token for the hop (insecure-token mode); undefined with mTLS: the certificate is the credential. */
  token: string | undefined;
}

/** Dependencies of the peer pools. */
export interface PeerPoolsDeps {
  transport: MeshTransport;
  /** The cluster's mesh token (insecure-token mode only). */
  meshToken?(): string | undefined;
  /** Connections per peer (default 32). */
  connections?: number;
  /** How mTLS connections to peers are made (default: directly); the relay through the hub plugs in here. */
  dialer?: PeerDialer;
}

const POOL_OPTIONS = { keepAliveTimeout: 30_000, connectTimeout: 5_000 } as const;

/** The pools to peer nodes' mesh servers. */
export class PeerPools {
  private pools = new Map<string, Pool>();
  private material: MeshTlsMaterial | undefined;
  /** Pools of replaced material, closing as their last requests finish. */
  private readonly draining = new Set<Pool>();

  constructor(private readonly deps: PeerPoolsDeps) {}

  /**
   * Uses `material` for new connections from now on (mTLS mode). Pools with the previous material
   * stop taking requests and close once the ones they hold are answered.
   */
  setTlsMaterial(material: MeshTlsMaterial): void {
    if (this.deps.transport !== 'mtls') throw new Error('the mesh runs in insecure-token mode: no TLS material');
    this.material = material;
    const old = [...this.pools.values()];
    this.pools = new Map();
    for (const pool of old) {
      this.draining.add(pool);
      void pool
        .close()
        .catch(() => undefined)
        .then(() => this.draining.delete(pool));
    }
  }

  /** How to reach the mesh server of `endpoint`'s node. Throws UpstreamUnreachableError without credentials yet. */
  route(endpoint: ServiceEndpoint): PeerRoute {
    const host = endpoint.address.includes(':') ? `[${endpoint.address}]` : endpoint.address;
    if (this.deps.transport === 'insecure-token') {
      const token = this.deps.meshToken?.();
      if (token === undefined)
        throw new UpstreamUnreachableError('no mesh token yet (the hub has not welcomed this node)');
      const origin = `http://${host}:${endpoint.meshPort}`;
      return { pool: this.pool(origin, origin, undefined), origin, token };
    }
    const material = this.material;
    if (material === undefined) throw new UpstreamUnreachableError('no node certificate yet for the mesh');
    const origin = `https://${host}:${endpoint.meshPort}`;
    // Keyed by the node too: the same address may be another node's after a move, and a pool's
    // connections (and cached TLS sessions) were checked to be one node's.
    const key = `${endpoint.nodeName} ${origin}`;
    const tls = clientConnectOptions(material, endpoint.nodeName);
    const dialer = this.deps.dialer;
    const connect = dialer
      ? dialer.connector({
          nodeName: endpoint.nodeName,
          tls,
          direct: undici().buildConnector({ ...tls, timeout: POOL_OPTIONS.connectTimeout }),
        })
      : tls;
    return {
      pool: this.pool(key, origin, connect),
      origin,
      token: undefined,
    };
  }

  /** Pools still finishing requests of replaced material (tests, diagnostics). */
  get drainingPools(): number {
    return this.draining.size;
  }

  /** Closes every pool at once, the draining ones included. */
  async close(): Promise<void> {
    const pools = [...this.pools.values(), ...this.draining];
    this.pools.clear();
    this.draining.clear();
    await Promise.all(pools.map((p) => p.destroy().catch(() => undefined)));
  }

  private pool(key: string, origin: string, connect: Pool.Options['connect'] | undefined): Pool {
    let p = this.pools.get(key);
    if (!p) {
      p = new (undici().Pool)(origin, {
        ...POOL_OPTIONS,
        connections: this.deps.connections ?? 32,
        ...(connect ? { connect } : {}),
      });
      this.pools.set(key, p);
    }
    return p;
  }
}
