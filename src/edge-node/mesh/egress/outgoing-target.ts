/**
 * Where a pod's outgoing HTTP call goes, decided the same way whichever door it came through (a Wasm
 * guest's `wasi:http/outgoing-handler`, a container's HTTP proxy): a host naming a Service
 * (`service-host.ts`) — any Service type, ClusterIP included — goes to that Service's port; any other
 * host only when the calling pod's `edgeplane.io/allowed-outgoing-hosts` annotation allows it
 * (`egress-policy.ts`). A caller that is not a known pod of this node reaches Services only.
 */
import { OutgoingHttpError } from '../../../api/index.js';
import type { ServicePortRoute, ServiceTable } from '../balancing/service-table.js';
import { ALLOWED_OUTGOING_HOSTS_ANNOTATION, egressAllowed, parseEgressPolicy } from './egress-policy.js';
import { parseAuthority, serviceNameOf, type Authority } from './service-host.js';

/** Who makes a call, as far as the node knows. */
export interface CallerIdentity {
  /** The namespace a bare Service name resolves in. */
  namespace: string;
  /** The calling pod on this node; undefined for a caller the node cannot tell (it gets Services only). */
  pod?: { namespace: string; name: string; annotations?: Readonly<Record<string, string>> };
  /** How to name an unknown caller in messages (e.g. `connections from 10.88.0.1`). */
  source?: string;
}

/** The resolved destination of a call. */
export type OutgoingTarget =
  /** A port of a Service, balanced over its ready endpoints. */
  | { kind: 'service'; route: ServicePortRoute }
  /** A host outside the cluster the caller may call; `origin` is `scheme://host:port`. */
  | { kind: 'external'; target: Authority; origin: string };

/**
 * Resolves `scheme://authority` for `caller`; throws OutgoingHttpError — `denied` for a destination
 * the caller may not call (the message names the host and the annotation), `connection-refused`
 * for a Service reached with https or on a port it does not serve.
 */
export function resolveOutgoing(
  table: ServiceTable,
  caller: CallerIdentity,
  scheme: 'http' | 'https',
  authority: string,
): OutgoingTarget {
  const target = parseAuthority(authority, scheme);
  if (!target)
    throw new OutgoingHttpError('denied', `outgoing HTTP: "${authority}" is not a host[:port] this node can call`);
  const named = serviceNameOf(target.host, caller.namespace);
  const ports = named && table.ports(named.namespace, named.name);
  if (ports) {
    const svc = `${named.namespace}/${named.name}`;
    if (scheme !== 'http') {
      throw new OutgoingHttpError(
        'connection-refused',
        `Service "${svc}" is reached with plain http inside the mesh (node-to-node hops are authenticated by the node): use http://${authority}`,
      );
    }
    const route = ports.find((p) => p.port.port === target.port);
    if (!route)
      throw new OutgoingHttpError(
        'connection-refused',
        `Service "${svc}" does not serve port ${target.port} (its ports: ${ports.map((p) => p.port.port).join(', ')})`,
      );
    return { kind: 'service', route };
  }
  const hostPort = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
  const notService = named ? `there is no Service "${named.name}" in namespace "${named.namespace}", and ` : '';
  if (!caller.pod) {
    throw new OutgoingHttpError(
      'denied',
      `outgoing HTTP to ${hostPort} denied: ${notService}${caller.source ?? 'the caller'} is not a pod this node can identify: only Services are reachable from it`,
    );
  }
  const policy = parseEgressPolicy(caller.pod.annotations?.[ALLOWED_OUTGOING_HOSTS_ANNOTATION]);
  if (egressAllowed(policy, target)) return { kind: 'external', target, origin: `${scheme}://${hostPort}` };
  const ignored = policy.invalid.length > 0 ? ` (ignored invalid entries: ${policy.invalid.join(', ')})` : '';
  throw new OutgoingHttpError(
    'denied',
    `outgoing HTTP to ${hostPort} denied: ${notService}pod ${caller.pod.namespace}/${caller.pod.name} does not allow it; ` +
      `list it in the pod annotation ${ALLOWED_OUTGOING_HOSTS_ANNOTATION}, e.g. "${hostPort}"${ignored}`,
  );
}
