/**
 * A TCP relay in front of an etcd member that a test can cut: `cut()` drops every connection and
 * refuses new ones (the member is gone for whoever reaches it through the relay), `mend()` lets them
 * through again. Used to make a hub's store lose etcd while the rest of the cluster moves on.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** See the module comment. */
export class TcpRelay {
  readonly #sockets = new Set<Socket>();
  #open = true;
  private constructor(
    readonly server: Server,
    readonly host: string,
    readonly port: number,
  ) {}

  /** Listens on `host` (a free port) and relays to `target`'s host and port. */
  static async start(target: URL, host: string): Promise<TcpRelay> {
    const ref: { relay?: TcpRelay } = {};
    const server = createServer((client) => {
      if (!ref.relay!.#open) return void client.destroy();
      const upstream = createConnection(Number(target.port), target.hostname);
      for (const s of [client, upstream]) {
        ref.relay!.#sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => ref.relay!.#sockets.delete(s));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => server.listen(0, host, r));
    ref.relay = new TcpRelay(server, host, (server.address() as { port: number }).port);
    return ref.relay;
  }

  /** The relay as an etcd endpoint. */
  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  cut(): void {
    this.#open = false;
    for (const s of this.#sockets) s.destroy();
  }

  mend(): void {
    this.#open = true;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise((r) => this.server.close(r));
  }
}
