/**
 * The node's local proxy for containers, the door through which they reach Services the way Wasm
 * pods do. There are no cluster IPs, so each Service port gets a node-local listener port
 * (`LocalPortAllocator`: stable, persisted), plus one port for an HTTP proxy that resolves Service
 * names; they listen on each address the node's runtimes say their containers reach the node at
 * (a pod bridge's gateway; loopback for host-network pods) and on nothing else, so a ClusterIP
 * Service never becomes reachable from outside the node. A container's env (`serviceEnv`) points at
 * them; requests are served by `PodTraffic`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorMessage } from '../../../api/index.js';
import type { Logger, Pod, Runtime } from '../../../api/index.js';
import { sendText } from '../http/http-util.js';
import type { ServiceTable } from '../balancing/service-table.js';
import { LocalListeners, type ListenAddress } from './local-listeners.js';
import {
  DEFAULT_LOCAL_PORT_RANGE,
  LocalPortAllocator,
  type LocalPortRange,
  type PortAssignment,
} from './local-ports.js';
import { PodTraffic, type PodTrafficDeps } from './pod-traffic.js';
import { connectRefusal } from './proxy-target.js';
import { serviceEnv } from './service-env.js';

/** The allocation key of the HTTP proxy's port (Service port keys are `namespace/name:port`). */
export const HTTP_PROXY_KEY = 'http-proxy';

/** Where port assignments are kept across agent restarts. */
export interface PortAssignmentStore {
  load(): Promise<Record<string, PortAssignment>>;
  save(assignments: Record<string, PortAssignment>): Promise<void>;
}

/** Dependencies of the local proxy. */
export interface LocalProxyDeps extends Omit<PodTrafficDeps, 'ownListener'> {
  table: ServiceTable;
  /** The node's addresses as its containers see them (from the runtimes' networks): listeners are bound there only. */
  addresses(): string[];
  store: PortAssignmentStore;
  logger: Logger;
  range?: LocalPortRange;
  /** Delay between attempts on an address the node does not have yet (default 1 s). */
  retryMs?: number;
  /** Longest a container's creation waits for the first Service set (default 5 s). */
  servicesWaitMs?: number;
}

/** Service-port listeners and the HTTP proxy for the node's containers. */
export class LocalProxy {
  readonly #listeners: LocalListeners;
  readonly #traffic: PodTraffic;
  #ports: LocalPortAllocator;
  #addresses = new Set<string>();
  #chain: Promise<void> = Promise.resolve();
  #started = false;
  #stopped = false;
  #servicesKnown = false;
  readonly #servicesWaiters: Array<() => void> = [];

  constructor(private readonly deps: LocalProxyDeps) {
    this.#ports = new LocalPortAllocator(deps.range ?? DEFAULT_LOCAL_PORT_RANGE);
    this.#traffic = new PodTraffic({ ...deps, ownListener: (host, port) => this.#ownListener(host, port) });
    this.#listeners = new LocalListeners({
      handle: (req, res) => this.#handle(req, res),
      connect: (req, socket) => {
        // node:http hands a CONNECT over as a bare socket: the answer is written raw.
        const refusal = connectRefusal(req.url ?? '');
        const body = `${refusal.message}\n`;
        socket.end(
          `HTTP/1.1 ${refusal.status} Method Not Allowed\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
        );
      },
      onBusy: (at) => this.#moveBusy(at),
      logger: deps.logger,
      ...(deps.retryMs !== undefined ? { retryMs: deps.retryMs } : {}),
      ...(deps.limits ? { limits: deps.limits } : {}),
    });
  }

  /**
   * A local proxy for the runtimes whose containers are network peers of the node (their `network`),
   * serving on every address those say their containers reach the node at; undefined when none is
   * (a Wasm-only node opens nothing).
   */
  static forRuntimes(runtimes: readonly Runtime[], deps: Omit<LocalProxyDeps, 'addresses'>): LocalProxy | undefined {
    const networks = runtimes.flatMap((r) => r.network?.() ?? []);
    if (networks.length === 0) return undefined;
    const addresses = (): string[] => [
      ...new Set(networks.flatMap((n) => [n.nodeAddress(false), n.nodeAddress(true)]).filter((a) => a !== undefined)),
    ];
    return new LocalProxy({ ...deps, addresses });
  }

  /** Loads the port assignments of earlier runs, then listens for the current Services. */
  async start(): Promise<void> {
    this.#ports = new LocalPortAllocator(this.deps.range ?? DEFAULT_LOCAL_PORT_RANGE, await this.deps.store.load());
    this.#started = true;
    await this.update();
  }

  /** Follows the Service table and the runtimes' addresses; call after every table update. */
  update(): Promise<void> {
    this.#chain = this.#chain
      .then(() => this.#update())
      .catch((err: unknown) => this.deps.logger.error({ err: errorMessage(err) }, 'local proxy update failed'));
    return this.#chain;
  }

  /**
   * The Service set has been read at least once (from the hub, or the node's local state). Until
   * then `env` waits: a fresh node gets its pods from the hub just before its Services.
   */
  servicesKnown(): void {
    if (this.#servicesKnown) return;
    this.#servicesKnown = true;
    for (const wake of this.#servicesWaiters.splice(0)) wake();
  }

  /** The env of a container of `pod` about to be created on `runtime`: none for a runtime without a network. */
  async envFor(pod: Pod, runtime: Runtime): Promise<Record<string, string>> {
    const address = runtime.network?.().nodeAddress(pod.spec.hostNetwork === true);
    return address === undefined ? {} : this.env(pod.metadata.namespace ?? 'default', address);
  }

  /**
   * The Service and proxy env vars of a container of `namespace` that reaches the node at `address`,
   * from the Services known now (as in Kubernetes, Services created later are not in it).
   */
  async env(namespace: string, address: string): Promise<Record<string, string>> {
    if (!this.#servicesKnown) await this.#waitForServices();
    // An address learnt late (a daemon network's gateway, from its first container) gets listeners now.
    if (!this.#addresses.has(address)) void this.update();
    return serviceEnv({
      services: this.deps.table.inNamespace(namespace),
      address,
      portOf: (service, port) => this.#ports.portOf(`${service.namespace}/${service.name}:${port}`),
      proxyPort: this.#ports.portOf(HTTP_PROXY_KEY),
    });
  }

  /** The (address, port) pairs listened on now (tests, diagnostics). */
  listening(): ListenAddress[] {
    return this.#listeners.listening();
  }

  /** The listener port of a Service port key or of {@link HTTP_PROXY_KEY}. */
  portOf(key: string): number | undefined {
    return this.#ports.portOf(key);
  }

  /** Closes every listener. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#chain;
    await this.#listeners.stop();
  }

  async #update(): Promise<void> {
    // Before start, nothing is allocated: the assignments of earlier runs are not loaded yet.
    if (this.#stopped || !this.#started) return;
    this.#addresses = new Set(this.deps.addresses());
    const keys = [HTTP_PROXY_KEY, ...[...this.deps.table.allPorts()].map((r) => r.key)];
    const { changed, unassigned } = this.#ports.retain(keys);
    if (unassigned.length > 0)
      this.deps.logger.error(
        { services: unassigned },
        'no local port left for these Service ports: containers will not find them in their env',
      );
    if (changed) await this.deps.store.save(this.#ports.snapshot());
    const wanted: ListenAddress[] = [];
    for (const key of keys) {
      const port = this.#ports.portOf(key);
      if (port !== undefined) for (const address of this.#addresses) wanted.push({ address, port });
    }
    await this.#listeners.sync(wanted);
  }

  #waitForServices(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.deps.logger.warn('no Service set from the hub yet: containers start without Service env vars');
        this.servicesKnown();
      }, this.deps.servicesWaitMs ?? 5000);
      timer.unref();
      this.#servicesWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #moveBusy(at: ListenAddress): void {
    const key = this.#ports.keyOf(at.port);
    if (key === undefined) return;
    const port = this.#ports.reassign(key);
    this.deps.logger.warn({ key, from: at.port, to: port }, 'local port taken by another process: moved');
    void this.deps.store.save(this.#ports.snapshot()).then(() => this.update());
  }

  #ownListener(host: string, port: number): ReturnType<PodTrafficDeps['ownListener']> {
    const key = this.#addresses.has(host) ? this.#ports.keyOf(port) : undefined;
    return key === undefined || key === HTTP_PROXY_KEY ? undefined : this.deps.table.route(key);
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const key = this.#ports.keyOf(req.socket.localPort ?? 0);
    const served =
      key === HTTP_PROXY_KEY
        ? this.#traffic.serveProxy(req, res)
        : this.#traffic.serveService(req, res, key === undefined ? undefined : this.deps.table.route(key));
    served.catch((err: unknown) => {
      this.deps.logger.error({ err: errorMessage(err) }, 'local proxy request failed');
      sendText(res, 500, `proxy error: ${errorMessage(err)}`);
    });
  }
}
