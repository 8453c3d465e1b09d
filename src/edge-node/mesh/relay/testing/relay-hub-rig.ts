/**
 * A hub's relay for tests and the benchmark: the real `MeshRelay` behind an HTTPS server that, like
 * the hub, requires a node certificate of the cluster CA and hands the relay the node its CN names.
 * Also the `RelayHubLink` a node of that cluster uses to reach it.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { MeshRelay, type MeshRelayLimits, type RelayPeerHub } from '../../../../hub/index.js';
import { generateKeyPair, issueCertificate, type CaPem } from '../../../../pki/index.js';
import { silentLogger } from '../../../../platform/index.js';
import type { MeshTlsMaterial } from '../../trust/tls-material.js';
import { NODE_NAME_PREFIX } from '../../trust/node-peer.js';
import type { RelayHubLink } from '../relay-socket.js';

/** A running relay hub. */
export interface RelayHubRig {
  relay: MeshRelay;
  base: string;
  /** The link a node with `material` uses to reach this hub (knowing the other hubs `hubs`). */
  link(material: MeshTlsMaterial, hubs?: readonly string[]): RelayHubLink;
  close(): Promise<void>;
}

/** Starts the relay on 127.0.0.1 with a serving certificate of `ca` (`peerHub`: where other hubs' nodes are). */
export async function startRelayHub(
  ca: CaPem,
  limits: Partial<MeshRelayLimits> = {},
  peerHub?: RelayPeerHub,
): Promise<RelayHubRig> {
  const keys = await generateKeyPair();
  const cert = await issueCertificate({
    ca,
    publicKeyPem: keys.publicKeyPem,
    commonName: 'edge-hub',
    organizations: [],
    usages: ['server'],
    ipAddresses: ['127.0.0.1'],
    lifetimeSeconds: 3600,
    now: new Date(Date.now() - 60_000),
  });
  const relay = new MeshRelay(silentLogger(), limits, peerHub);
  const server: Server = createServer({
    key: keys.privateKeyPem,
    cert,
    ca: ca.certPem,
    requestCert: true,
    rejectUnauthorized: true,
  });
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    const cn = (req.socket as TLSSocket).getPeerCertificate().subject?.CN ?? '';
    const cnText = Array.isArray(cn) ? (cn[0] ?? '') : cn;
    if (!cnText.startsWith(NODE_NAME_PREFIX)) return socket.destroy();
    relay.upgrade(req, socket, head, cnText.slice(NODE_NAME_PREFIX.length));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    relay,
    base,
    link: (m, hubs) => ({
      base: () => base,
      tls: () => ({ ca: ca.certPem, cert: m.certPem, key: m.keyPem }),
      ...(hubs ? { hubs: () => hubs } : {}),
    }),
    async close() {
      relay.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
