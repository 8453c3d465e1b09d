/**
 * The hub's HTTP(S) listener: the API app served by @hono/node-server, the node gateway's WebSocket
 * upgrades and the pod stream upgrades attached to it, bound to the configured address. Kept apart from
 * `hub.ts`, which wires the parts together; this only serves them.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createAdaptorServer } from '@hono/node-server';
import type { Logger } from '../api/index.js';
import type { NodeGateway } from './gateway/index.js';
import type { PodStreamUpgrades } from './server/streams/index.js';
import type { HubTls } from './tls/index.js';

/** What {@link listenHub} serves and where. */
export interface HubListenParts {
  fetch: (request: Request) => Response | Promise<Response>;
  tls: HubTls | undefined;
  gateway: NodeGateway;
  streams: PodStreamUpgrades;
  port: number;
  host: string;
  logger: Logger;
}

/** A listening hub server, its URL, and whether that address can be dialled by others. */
export interface HubListener {
  server: Server | HttpsServer;
  address: AddressInfo;
  url: string;
  /** The bound address listens everywhere (`0.0.0.0`, `::`) and names no host to dial. */
  wildcard: boolean;
}

/** Creates the server, attaches the gateway and streams, listens, and starts TLS renewal. */
export async function listenHub(parts: HubListenParts): Promise<HubListener> {
  const { tls } = parts;
  const server = tls
    ? (createAdaptorServer({
        fetch: parts.fetch,
        createServer: createHttpsServer,
        serverOptions: tls.serverOptions(),
      }) as HttpsServer)
    : (createAdaptorServer({ fetch: parts.fetch }) as Server);
  // Watches and followed logs are long-lived: no request timeout on them.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 65_000;
  parts.gateway.attach(server, parts.streams);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(parts.port, parts.host, () => resolve());
  });
  if (tls) tls.start(server as HttpsServer);
  else parts.logger.warn('serving plain HTTP (--insecure-http): tokens and pod specs cross the network in clear');
  const address = server.address() as AddressInfo;
  const host = address.address.includes(':') ? `[${address.address}]` : address.address;
  const url = `${tls ? 'https' : 'http'}://${host}:${address.port}`;
  const wildcard = address.address === '0.0.0.0' || address.address === '::' || address.address === '';
  return { server, address, url, wildcard };
}

/** Closes the server and every connection still open on it. */
export async function closeHubServer(server: Server | HttpsServer): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}
