/**
 * A leader lock on an etcd lease (what Kubernetes' leader election does with a Lease object, in etcd's
 * own terms): the holder's key is created only if absent and bound to a lease of `ttlSeconds`; the
 * holder keeps the lease alive; if it dies, etcd drops the lease and the key with it after the TTL,
 * and another hub's `tryAcquire` succeeds.
 */
import type { ClientDuplexStream } from '@grpc/grpc-js';
import type { Logger } from '../../../api/index.js';
import type { EtcdConnection } from './connection.js';
import type { KeySpace } from './keys.js';
import type { Int64, TxnRequest, TxnResponse } from './proto.js';

interface LeaseGrantResponse {
  ID: Int64;
  TTL: Int64;
  error: string;
}
interface LeaseKeepAliveResponse {
  ID: Int64;
  TTL: Int64;
}

/** One hub's handle on one named leader lock. */
export class EtcdLeaseLock {
  readonly #conn: EtcdConnection;
  readonly #key: Buffer;
  readonly #identity: string;
  readonly #ttlSeconds: number;
  readonly #logger: Logger;
  #lease: string | undefined;

  constructor(
    conn: EtcdConnection,
    keys: KeySpace,
    name: string,
    identity: string,
    ttlSeconds: number,
    logger: Logger,
  ) {
    this.#conn = conn;
    this.#key = keys.encode(`/leases/${name}`);
    this.#identity = identity;
    this.#ttlSeconds = Math.max(1, Math.ceil(ttlSeconds));
    this.#logger = logger;
  }

  /** Takes the lock if nobody holds it; true if this hub holds it now. */
  async tryAcquire(): Promise<boolean> {
    const grant = await this.#conn.unary<{ TTL: number; ID: number }, LeaseGrantResponse>('Lease', 'LeaseGrant', {
      TTL: this.#ttlSeconds,
      ID: 0,
    });
    const lease = String(grant.ID);
    const res = await this.#conn.unary<TxnRequest, TxnResponse>('KV', 'Txn', {
      compare: [{ result: 'EQUAL', target: 'CREATE', key: this.#key, create_revision: 0 }],
      // JSON, as every value under the prefix: the hubs' watch caches watch `/` and decode what they see.
      success: [{ request_put: { key: this.#key, value: Buffer.from(JSON.stringify(this.#identity)), lease } }],
      failure: [],
    });
    if (res.succeeded) {
      this.#lease = lease;
      return true;
    }
    // Someone holds it: our lease is not needed (it would expire anyway).
    await this.#revoke(lease);
    return false;
  }

  /** Keeps the held lease alive; false when it has expired (the lock is lost). */
  async renew(): Promise<boolean> {
    const lease = this.#lease;
    if (lease === undefined) return false;
    const { client } = this.#conn.leaseClient();
    const call = (client.LeaseKeepAlive as () => ClientDuplexStream<{ ID: string }, LeaseKeepAliveResponse>).call(
      client,
    );
    try {
      const ttl = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('lease keep-alive timed out')), (this.#ttlSeconds * 1000) / 2);
        call.once('data', (r: LeaseKeepAliveResponse) => {
          clearTimeout(timer);
          resolve(Number(r.TTL));
        });
        call.once('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
        call.write({ ID: lease });
      });
      if (ttl <= 0) this.#lease = undefined;
      return ttl > 0;
    } finally {
      call.cancel();
    }
  }

  /** Gives the lock up at once (the next hub need not wait for the TTL). */
  async release(): Promise<void> {
    const lease = this.#lease;
    this.#lease = undefined;
    if (lease !== undefined) await this.#revoke(lease);
  }

  /** Identity of the current holder, if any. */
  async holder(): Promise<string | undefined> {
    const res = await this.#conn.unary<{ key: Buffer }, { kvs: Array<{ value: Buffer }> }>('KV', 'Range', {
      key: this.#key,
    });
    const raw = res.kvs[0]?.value.toString('utf8');
    if (raw === undefined) return undefined;
    try {
      const v: unknown = JSON.parse(raw);
      return typeof v === 'string' ? v : raw;
    } catch {
      return raw; // written by an older hub, before the value was JSON
    }
  }

  async #revoke(lease: string): Promise<void> {
    try {
      await this.#conn.unary('Lease', 'LeaseRevoke', { ID: lease });
    } catch (err) {
      this.#logger.debug({ err }, 'lease revoke failed (it expires by itself)');
    }
  }
}
