/**
 * Connections to the members of one etcd cluster: one gRPC client per endpoint, calls sent to the
 * current one and moved to the next when a member stops answering (killed, partitioned, restarting).
 *
 * Why one client per endpoint rather than one grpc-js channel over all addresses: endpoints may be host
 * names with TLS (each needs its own server name), and the store must know which member it talks to so
 * that a call that failed on one member is retried on another at once, not after grpc-js' reconnect
 * back-off on the dead one.
 */
import { readFile } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import { ServiceUnavailableError, type Logger } from '../../../api/index.js';
import { etcdServices, type ServiceClient } from './proto.js';

/** TLS material for etcd's client port (`--etcd-cafile/--etcd-certfile/--etcd-keyfile`). */
export interface EtcdTlsFiles {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/** Options of `EtcdConnection.open`. */
export interface EtcdConnectionOptions {
  /** `http://host:port`, `https://host:port` or `host:port` (scheme from TLS files: https if given). */
  endpoints: string[];
  tls?: EtcdTlsFiles;
  logger: Logger;
  /** Deadline of one attempt of a unary call (default 5 s). */
  attemptTimeoutMs?: number;
  /** Time a call keeps trying across members before it fails with 503 (default 15 s). */
  callTimeoutMs?: number;
}

type ServiceName = 'KV' | 'Watch' | 'Maintenance' | 'Lease';

interface Member {
  address: string;
  clients: Record<ServiceName, ServiceClient>;
}

/** gRPC status codes that mean "this member cannot answer now", worth another member. */
const RETRYABLE = new Set<number>([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.CANCELLED]);

/** A unary call failed on every member until the call's time ran out. */
export class EtcdUnavailableError extends ServiceUnavailableError {
  constructor(method: string, cause: unknown) {
    super(`etcd unavailable: ${method} failed on every endpoint (${describe(cause)})`);
  }
}

function describe(err: unknown): string {
  if (err && typeof err === 'object' && 'details' in err && typeof err.details === 'string') return err.details;
  return err instanceof Error ? err.message : String(err);
}

/** The gRPC status code of an error, if it is a gRPC error. */
export function grpcCode(err: unknown): number | undefined {
  return err && typeof err === 'object' && 'code' in err && typeof err.code === 'number' ? err.code : undefined;
}

/** The server's message of a gRPC error (etcd puts its own error text there). */
export function grpcDetails(err: unknown): string {
  return err && typeof err === 'object' && 'details' in err && typeof err.details === 'string' ? err.details : '';
}

function parseEndpoint(text: string, tls: boolean): { address: string; tls: boolean } {
  const m = /^(https?):\/\/(.+?)\/?$/.exec(text.trim());
  if (m) return { address: m[2]!, tls: m[1] === 'https' };
  return { address: text.trim(), tls };
}

/** Connections to an etcd cluster's members. */
export class EtcdConnection {
  readonly #members: Member[];
  readonly #logger: Logger;
  readonly #attemptTimeoutMs: number;
  readonly #callTimeoutMs: number;
  /** Index of the member calls go to first. */
  #current = 0;
  #closed = false;

  private constructor(members: Member[], opts: EtcdConnectionOptions) {
    this.#members = members;
    this.#logger = opts.logger;
    this.#attemptTimeoutMs = opts.attemptTimeoutMs ?? 5_000;
    this.#callTimeoutMs = opts.callTimeoutMs ?? 15_000;
  }

  /** Builds the clients (no network yet: gRPC connects on first use). */
  static async open(opts: EtcdConnectionOptions): Promise<EtcdConnection> {
    if (opts.endpoints.length === 0) throw new Error('no etcd endpoints given');
    const services = etcdServices();
    const files = opts.tls ?? {};
    const wantTls = files.caFile !== undefined || files.certFile !== undefined;
    const [ca, cert, key] = await Promise.all([
      files.caFile ? readFile(files.caFile) : undefined,
      files.certFile ? readFile(files.certFile) : undefined,
      files.keyFile ? readFile(files.keyFile) : undefined,
    ]);
    if ((cert === undefined) !== (key === undefined)) throw new Error('--etcd-certfile and --etcd-keyfile go together');
    const channelOptions: grpc.ChannelOptions = {
      // A member that vanishes without closing its socket (power loss, partition) is noticed in seconds.
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 2_000,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    };
    const members = opts.endpoints.map((text): Member => {
      const ep = parseEndpoint(text, wantTls);
      const creds = ep.tls
        ? grpc.credentials.createSsl(ca ?? null, key ?? null, cert ?? null)
        : grpc.credentials.createInsecure();
      // One channel per member, shared by its service clients.
      const kv = new services.KV(ep.address, creds, channelOptions) as ServiceClient;
      const shared = { channelOverride: kv.getChannel() };
      return {
        address: ep.address,
        clients: {
          KV: kv,
          Watch: new services.Watch(ep.address, creds, shared),
          Maintenance: new services.Maintenance(ep.address, creds, shared),
          Lease: new services.Lease(ep.address, creds, shared),
        },
      };
    });
    return new EtcdConnection(members, opts);
  }

  /** Addresses of the members, in the order given. */
  get endpoints(): string[] {
    return this.#members.map((m) => m.address);
  }

  /**
   * Calls a unary method, on the current member first, then on the others in turn while the failure
   * is one another member may not have. `ctx.retried` is set when an earlier attempt failed after the
   * request may have reached etcd (the caller then checks whether a write already took effect).
   */
  async unary<Req, Res>(service: ServiceName, method: string, request: Req, ctx?: { retried: boolean }): Promise<Res> {
    const give = Date.now() + this.#callTimeoutMs;
    let lastErr: unknown;
    for (let attempt = 0; ; attempt++) {
      if (this.#closed) throw new ServiceUnavailableError('etcd store is closed');
      const index = this.#current;
      const member = this.#members[index]!;
      try {
        return await this.#callOnce<Req, Res>(member, service, method, request);
      } catch (err) {
        const code = grpcCode(err);
        if (code === undefined || !RETRYABLE.has(code)) throw err;
        lastErr = err;
        if (ctx) ctx.retried = true;
        this.#failover(index, member, method, err);
        if (Date.now() >= give) throw new EtcdUnavailableError(method, lastErr);
        // A full round over every member without success: wait a little before the next round.
        if ((attempt + 1) % this.#members.length === 0) await sleep(Math.min(1_000, 100 * (attempt + 1)));
      }
    }
  }

  /**
   * One call on member `index` only, with its own deadline and no failover: a health probe of that
   * member (component statuses), which must not move the store's calls around.
   */
  memberCall<Req, Res>(
    index: number,
    service: ServiceName,
    method: string,
    request: Req,
    timeoutMs: number,
  ): Promise<Res> {
    const member = this.#members[index];
    if (!member) return Promise.reject(new Error(`no etcd member ${index}`));
    if (this.#closed) return Promise.reject(new ServiceUnavailableError('etcd store is closed'));
    return this.#callOnce<Req, Res>(member, service, method, request, timeoutMs);
  }

  /** The Watch service client of the current member (streams handle their own failover). */
  watchClient(): { client: ServiceClient; index: number } {
    return { client: this.#members[this.#current]!.clients.Watch, index: this.#current };
  }

  /** The Lease service client of the current member (keep-alive streams). */
  leaseClient(): { client: ServiceClient; index: number } {
    return { client: this.#members[this.#current]!.clients.Lease, index: this.#current };
  }

  /** Moves calls off member `index` (if it is still the current one). */
  failover(index: number, reason: unknown): void {
    const member = this.#members[index];
    if (member) this.#failover(index, member, 'Watch', reason);
  }

  /** Closes every client. Calls in flight fail. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const m of this.#members) for (const c of Object.values(m.clients)) c.close();
  }

  get closed(): boolean {
    return this.#closed;
  }

  #failover(index: number, member: Member, method: string, err: unknown): void {
    if (this.#current !== index || this.#members.length === 1) return;
    this.#current = (index + 1) % this.#members.length;
    this.#logger.warn(
      { endpoint: member.address, next: this.#members[this.#current]!.address, method, reason: describe(err) },
      'etcd member not answering; moving to the next endpoint',
    );
  }

  #callOnce<Req, Res>(
    member: Member,
    service: ServiceName,
    method: string,
    request: Req,
    timeoutMs = this.#attemptTimeoutMs,
  ): Promise<Res> {
    const client = member.clients[service];
    const fn = client[method] as (
      req: Req,
      md: grpc.Metadata,
      opts: grpc.CallOptions,
      cb: (err: grpc.ServiceError | null, res: Res) => void,
    ) => void;
    return new Promise<Res>((resolve, reject) => {
      fn.call(client, request, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (err) reject(err);
        else resolve(res);
      });
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
