/**
 * HTTP routing as a node's balancer needs it: the hub compiles Gateway API HTTPRoutes into rules
 * sorted by Gateway API precedence (one rule per match), carried in a `ServiceRoute`'s `http`. A
 * Service's route carries the rules of the HTTPRoutes whose parent it is (mesh traffic, GAMMA); a
 * Gateway listener port becomes a route of its own (`http.gateway`), served like a NodePort.
 */
import { z } from 'zod';
import { HTTPRouteFilter } from './gateway.js';
import { Name, Str } from './wire-shapes.js';

/** Rules one routed Service or Gateway port may carry. */
export const MAX_COMPILED_RULES = 1024;

/** One weighted backend of a compiled rule: a Service port. */
export const CompiledBackend = z.strictObject({
  namespace: Name,
  name: Name,
  /** The Service port; absent: the port the request came to (GAMMA) or the Service's only port. */
  port: z.number().int().min(1).max(65535).optional(),
  weight: z.number().int().min(0).max(1_000_000),
  /** The reference did not resolve (BackendNotFound, RefNotPermitted): its share of requests gets a 500. */
  invalid: z.literal(true).optional(),
});
export type CompiledBackend = z.infer<typeof CompiledBackend>;

const Pair = z.strictObject({ name: z.string().max(256), value: z.string().max(4096) });

/** One match of one HTTPRoute rule, normalised: header names lower-case, the path defaulted to PathPrefix /. */
export const CompiledMatch = z.strictObject({
  path: z.strictObject({ type: z.enum(['Exact', 'PathPrefix']), value: z.string().max(1024) }),
  headers: z.array(Pair).max(16).optional(),
  queryParams: z.array(Pair).max(16).optional(),
  method: z.string().max(16).optional(),
});
export type CompiledMatch = z.infer<typeof CompiledMatch>;

export const CompiledRule = z.strictObject({
  /** `namespace/route` and the rule's index, for logs and answers. */
  route: Str,
  /** Host headers served (a leading `*.` is a wildcard); absent: any host. */
  hostnames: z.array(z.string().max(253)).max(16).optional(),
  match: CompiledMatch,
  filters: z.array(HTTPRouteFilter).max(16).optional(),
  backends: z.array(CompiledBackend).max(16),
  /** `timeouts.request` in milliseconds. */
  timeoutMs: z.number().int().positive().optional(),
});
export type CompiledRule = z.infer<typeof CompiledRule>;

/** The routing of one Service (GAMMA) or Gateway port, rules in precedence order: the first that matches wins. */
export const HttpRouting = z.strictObject({
  /** A Gateway listener port (not a Service: pods cannot call it by name). */
  gateway: z.literal(true).optional(),
  rules: z.array(CompiledRule).max(MAX_COMPILED_RULES),
});
export type HttpRouting = z.infer<typeof HttpRouting>;
