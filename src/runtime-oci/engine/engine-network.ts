/**
 * What the Engine API tells about a daemon network: the gateway its containers reach the node at
 * (the daemon puts that address on its bridge, on the node), and a container's own address in it.
 */
import { isIPv4 } from 'node:net';
import type { EngineClient } from './engine-client.js';

interface NetworkInspect {
  IPAM?: { Config?: Array<{ Subnet?: string; Gateway?: string }> | null };
}

/** The network part of a container's inspect document. */
export interface ContainerNetworkSettings {
  IPAddress?: string;
  Gateway?: string;
  Networks?: Record<string, { IPAddress?: string; Gateway?: string }> | null;
}

/**
 * The IPv4 gateway of daemon network `name` (`bridge` is the daemon's default network, also under
 * podman), or undefined when the daemon does not say (no such network, no IPAM gateway).
 */
export async function networkGateway(client: EngineClient, name: string): Promise<string | undefined> {
  const info = await client.call<NetworkInspect>('GET', `/networks/${encodeURIComponent(name)}`).catch(() => undefined);
  return info?.IPAM?.Config?.map((c) => c.Gateway).find((g): g is string => g !== undefined && isIPv4(g));
}

/** A started container's address and its network's gateway, as its inspect document has them. */
export function containerAddresses(settings: ContainerNetworkSettings | undefined): { ip?: string; gateway?: string } {
  const nets = Object.values(settings?.Networks ?? {});
  const ip = settings?.IPAddress || nets.find((n) => n.IPAddress)?.IPAddress;
  const gateway = settings?.Gateway || nets.find((n) => n.Gateway)?.Gateway;
  return { ...(ip ? { ip } : {}), ...(gateway ? { gateway } : {}) };
}
