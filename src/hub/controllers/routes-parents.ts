/**
 * How an HTTPRoute attaches to a Gateway through one parentRef: the listeners its sectionName/port
 * selects, those whose allowedRoutes admit it, and the hostnames where listener and route meet; the
 * route's `Accepted` condition for that parent says which of these steps refused it.
 */
import type { Gateway, GatewayListener, HTTPRoute, ParentReference } from '../../api/index.js';
import { GATEWAY_GROUP } from '../../api/index.js';
import { cond, nsOf, type CompiledCondition } from './routes-model.js';

/** Which listeners of `gw` the route attaches to through `ref`, with the hostnames each serves. */
export function attachToGateway(
  gw: Gateway,
  ref: ParentReference,
  route: HTTPRoute,
): { condition: CompiledCondition; listeners: Array<{ listener: GatewayListener; hostnames: string[] | undefined }> } {
  let candidates = gw.spec.listeners;
  if (ref.sectionName !== undefined) candidates = candidates.filter((l) => l.name === ref.sectionName);
  if (ref.port !== undefined) candidates = candidates.filter((l) => l.port === ref.port);
  if (candidates.length === 0)
    return {
      condition: cond('Accepted', false, 'NoMatchingParent', 'no listener of the Gateway matches the parentRef'),
      listeners: [],
    };
  const allowed = candidates.filter((l) => allows(l, gw, route));
  if (allowed.length === 0)
    return {
      condition: cond(
        'Accepted',
        false,
        'NotAllowedByListeners',
        "the listeners' allowedRoutes do not admit this route",
      ),
      listeners: [],
    };
  const listeners: Array<{ listener: GatewayListener; hostnames: string[] | undefined }> = [];
  for (const l of allowed) {
    const hostnames = intersectHostnames(l.hostname, route.spec.hostnames);
    if (hostnames !== null) listeners.push({ listener: l, hostnames });
  }
  if (listeners.length === 0)
    return {
      condition: cond(
        'Accepted',
        false,
        'NoMatchingListenerHostname',
        "no hostname of the route matches the listeners'",
      ),
      listeners,
    };
  return { condition: cond('Accepted', true, 'Accepted', 'Route is accepted'), listeners };
}

function allows(l: GatewayListener, gw: Gateway, route: HTTPRoute): boolean {
  const from = l.allowedRoutes?.namespaces?.from ?? 'Same';
  const kinds = l.allowedRoutes?.kinds;
  if (kinds && !kinds.some((k) => k.kind === 'HTTPRoute' && (k.group ?? GATEWAY_GROUP) === GATEWAY_GROUP)) return false;
  if (from === 'All') return true;
  if (from === 'Same') return nsOf(gw) === nsOf(route);
  return false; // Selector: namespace labels are not read (documented in docs/routing.md)
}

/** Whether `host` (possibly `*.x`) is matched by `pattern` (possibly `*.x`). */
function hostCovers(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  if (!pattern.startsWith('*.')) return false;
  const suffix = pattern.slice(1); // `.x`
  return host.endsWith(suffix) && host.length > suffix.length && !host.slice(0, -suffix.length).includes('*');
}

/** The hostnames served where a listener (one or any) meets a route (some or any); null when they do not meet. */
function intersectHostnames(
  listener: string | undefined,
  route: readonly string[] | undefined,
): string[] | undefined | null {
  if (!route || route.length === 0) return listener === undefined ? undefined : [listener];
  if (listener === undefined) return [...route];
  const out = new Set<string>();
  for (const h of route) {
    if (hostCovers(listener, h)) out.add(h);
    else if (hostCovers(h, listener)) out.add(listener);
  }
  return out.size === 0 ? null : [...out];
}
