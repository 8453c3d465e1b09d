/**
 * Where containers in the node's own network (host networking) reach the node's listeners for pods.
 * Those listeners serve ClusterIP Services, which must never be reachable from outside the node, so
 * they are bound to loopback only — never to the node's public `--address` — and a process in the
 * node's network reaches loopback anyway.
 */
import { isIPv4 } from 'node:net';

/**
 * The loopback address for host-network containers: the node's own address when it is a loopback one
 * (several nodes on one machine, as in tests, then keep apart), else `127.0.0.1`.
 */
export function hostLoopback(nodeAddress: string | undefined): string {
  if (nodeAddress === '::1' || (nodeAddress !== undefined && isIPv4(nodeAddress) && nodeAddress.startsWith('127.')))
    return nodeAddress;
  return '127.0.0.1';
}
