/**
 * Upgrade skew on the Service stream: a hub newer than its nodes must not send a `ServiceRoute` field
 * an older agent's strict schema refuses (it would drop the whole frame, and with a `serviceSet`
 * every Service). Two fields came after the protocol they ride on:
 * - `scaleFromZero` was added during protocol 3: only agents of protocol 4 and later all know it;
 * - `http` (compiled HTTPRoute rules) was added during protocol 5: only protocol 6 agents all know it;
 * - terminating endpoints (`RouteEndpoint.serving`/`terminating`) came with protocol 10.
 * A session older than that gets the route without the field, with what that means: requests to a
 * Service with no ready endpoint answer 503 at once instead of waiting for a wake, the route is
 * balanced without its HTTPRoute rules (what that agent did before it knew them), and a terminating
 * endpoint is left out (as every hub did before protocol 10).
 *
 * Frames carrying a route are encoded once per *dialect* (a protocol generation), not per session:
 * a route that uses none of these fields reads the same in every dialect and keeps a single encoding.
 * The endpoint patches of a Service's history are encoded once, in the newest dialect: a change that
 * carries a terminating endpoint sends an older session the whole route instead (`service-topic.ts`).
 */
import type { RouteEndpoint, ServiceRoute } from '../../api/index.js';

/** First protocol whose every agent knows `ServiceRoute.scaleFromZero`. */
export const SCALE_FROM_ZERO_PROTOCOL = 4;
/** First protocol whose every agent knows `ServiceRoute.http`. */
export const HTTP_ROUTING_PROTOCOL = 6;
/** First protocol whose every agent knows terminating endpoints. */
export const TERMINATING_PROTOCOL = 10;

/**
 * A protocol generation of `ServiceRoute`: the lowest protocol of it (1: none of the fields, 4:
 * `scaleFromZero`, 6: and `http`, 10: and terminating endpoints). Only these four values occur.
 */
export type RouteDialect =
  1 | typeof SCALE_FROM_ZERO_PROTOCOL | typeof HTTP_ROUTING_PROTOCOL | typeof TERMINATING_PROTOCOL;

/** The newest dialect: what sessions of the hub's own protocol read. */
export const NEWEST_DIALECT: RouteDialect = TERMINATING_PROTOCOL;

/** The route dialect a session of `protocol` reads. */
export function dialectOf(protocol: number): RouteDialect {
  if (protocol >= TERMINATING_PROTOCOL) return TERMINATING_PROTOCOL;
  if (protocol >= HTTP_ROUTING_PROTOCOL) return HTTP_ROUTING_PROTOCOL;
  if (protocol >= SCALE_FROM_ZERO_PROTOCOL) return SCALE_FROM_ZERO_PROTOCOL;
  return 1;
}

/**
 * The dialect whose encoding `route` shares with `dialect`: the newest one when the route uses no
 * field `dialect` lacks (so it is encoded once for everyone), else `dialect` itself.
 */
export function encodingOf(route: ServiceRoute, dialect: RouteDialect): RouteDialect {
  if (dialect === NEWEST_DIALECT) return dialect;
  const lacksEnding = route.endpoints.some(isTerminating);
  const lacksHttp = route.http !== undefined && dialect < HTTP_ROUTING_PROTOCOL;
  const lacksWake = route.scaleFromZero !== undefined && dialect < SCALE_FROM_ZERO_PROTOCOL;
  if (!lacksEnding && !lacksHttp && !lacksWake) return NEWEST_DIALECT;
  return dialect;
}

/** Whether an endpoint is one only protocol-10 sessions may be sent. */
export function isTerminating(e: RouteEndpoint): boolean {
  return e.terminating !== undefined || e.serving !== undefined;
}

/** `route` as a session of `dialect` can read it: the fields it does not know left out. */
export function routeIn(route: ServiceRoute, dialect: RouteDialect): ServiceRoute {
  if (encodingOf(route, dialect) === NEWEST_DIALECT) return route;
  const out: ServiceRoute = { ...route, endpoints: route.endpoints.filter((e) => !isTerminating(e)) };
  if (dialect < HTTP_ROUTING_PROTOCOL) delete out.http;
  if (dialect < SCALE_FROM_ZERO_PROTOCOL) delete out.scaleFromZero;
  return out;
}
