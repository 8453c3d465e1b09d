/**
 * The node's listeners for pods: one node:http server per (address, port), all with one request
 * handler (which tells them apart by the socket's local port). An address that is not on the node
 * yet — a daemon's bridge gets its gateway address with its first container — is retried on a
 * timer; a port something else holds is reported, so the owner can move that key to another port.
 * Each listener has its own cap of concurrent requests and the node's other `ListenerLimits`.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorMessage } from '../../../api/index.js';
import type { Logger } from '../../../api/index.js';
import { RequestGate, createLimitedServer, listenerLimits, type ListenerLimits } from '../http/listener-limits.js';

/** One listening socket wanted. */
export interface ListenAddress {
  address: string;
  port: number;
}

/** Dependencies of the listeners. */
export interface LocalListenersDeps {
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** A `CONNECT` request (node:http hands it over as a bare socket): answer it on `socket`. */
  connect(req: IncomingMessage, socket: Duplex): void;
  /** `port` is held by something else on `address`. */
  onBusy(at: ListenAddress): void;
  logger: Logger;
  /** Delay between attempts on an address the node does not have yet (default 1 s). */
  retryMs?: number;
  /** Limits of each listener (defaults: `DEFAULT_LISTENER_LIMITS`). */
  limits?: Partial<ListenerLimits>;
}

interface Listener {
  at: ListenAddress;
  server: Server;
  state: 'binding' | 'listening' | 'pending';
}

/** A set of listening sockets kept equal to the wanted set. */
export class LocalListeners {
  readonly #listeners = new Map<string, Listener>();
  #retry: NodeJS.Timeout | undefined;
  #stopped = false;
  readonly #limits: ListenerLimits;

  constructor(private readonly deps: LocalListenersDeps) {
    this.#limits = listenerLimits(deps.limits);
  }

  /** The (address, port) pairs listened on now. */
  listening(): ListenAddress[] {
    return [...this.#listeners.values()].filter((l) => l.state === 'listening').map((l) => l.at);
  }

  /** Closes what is no longer wanted and opens what is new; resolves when every attempt settled. */
  async sync(wanted: readonly ListenAddress[]): Promise<void> {
    if (this.#stopped) return;
    const keys = new Map(wanted.map((at) => [keyOf(at), at]));
    await Promise.all([...this.#listeners].filter(([k]) => !keys.has(k)).map(([k, l]) => this.#close(k, l)));
    await Promise.all([...keys].filter(([k]) => !this.#listeners.has(k)).map(([k, at]) => this.#open(k, at)));
  }

  /** Closes every listener. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retry);
    await Promise.all([...this.#listeners].map(([k, l]) => this.#close(k, l)));
  }

  async #open(key: string, at: ListenAddress): Promise<void> {
    const gate = new RequestGate(this.#limits, `local listener ${at.address}:${at.port}`);
    const server = createLimitedServer(this.#limits, gate, (req, res) => this.deps.handle(req, res));
    server.on('connect', (req: IncomingMessage, socket: Duplex) => {
      socket.on('error', () => undefined);
      this.deps.connect(req, socket);
    });
    const l: Listener = { at, server, state: 'binding' };
    this.#listeners.set(key, l);
    await this.#bind(key, l);
  }

  async #bind(key: string, l: Listener): Promise<void> {
    const retried = l.state === 'pending';
    l.state = 'binding';
    const err = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      l.server.once('error', resolve);
      l.server.listen(l.at.port, l.at.address, () => {
        l.server.off('error', resolve);
        resolve(undefined);
      });
    });
    if (this.#listeners.get(key) !== l) {
      l.server.close();
      return;
    }
    if (!err) {
      l.state = 'listening';
      l.server.on('error', (e) => this.deps.logger.error({ ...l.at, err: e.message }, 'local listener error'));
      return;
    }
    if (err.code === 'EADDRNOTAVAIL') {
      if (!retried)
        this.deps.logger.info({ address: l.at.address }, 'address not on this node yet: listening once it is');
      l.state = 'pending';
      this.#scheduleRetry();
      return;
    }
    this.#listeners.delete(key);
    if (err.code === 'EADDRINUSE') {
      this.deps.logger.warn({ ...l.at }, 'port in use by something else on the node: moving to another');
      this.deps.onBusy(l.at);
    } else {
      this.deps.logger.error({ ...l.at, err: errorMessage(err) }, 'cannot listen');
    }
  }

  #scheduleRetry(): void {
    if (this.#retry || this.#stopped) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      const pending = [...this.#listeners].filter(([, l]) => l.state === 'pending');
      void Promise.all(pending.map(([k, l]) => this.#bind(k, l)));
    }, this.deps.retryMs ?? 1000);
    this.#retry.unref();
  }

  async #close(key: string, l: Listener): Promise<void> {
    this.#listeners.delete(key);
    if (l.state !== 'listening') return;
    await new Promise<void>((resolve) => {
      l.server.close(() => resolve());
      l.server.closeAllConnections();
    });
  }
}

function keyOf(at: ListenAddress): string {
  return `${at.address}|${at.port}`;
}
