/**
 * The Service frames of the gateway protocol (part of the protocol in `wire.ts`, which lists them): a
 * Service route as a node's proxy needs it, the whole `serviceSync` of protocol 1, and protocol 2's
 * stream of `serviceSet`/`serviceDelta` at revisions.
 */
import { z } from 'zod';
import { HttpRouting } from './wire-routes.js';
import { Name, PodRef, Str } from './wire-shapes.js';

const MAX_SERVICES = 10_000;
const MAX_ENDPOINTS = 5000;

/**
 * One endpoint of a Service route: a pod (ready or not) and the mesh address of its node. The
 * conditions are EndpointSlice's: `ready` (Ready and not being deleted); for a pod being deleted
 * (protocol 10), `terminating` with `serving` (still Ready). Nodes send traffic to ready endpoints,
 * and to serving terminating ones only while the Service has no ready endpoint (kube-proxy's
 * KEP-1669 fallback).
 */
export const RouteEndpoint = z.strictObject({
  pod: PodRef,
  nodeName: Name,
  /** The hosting node's address and mesh port. */
  address: Str,
  meshPort: z.number().int(),
  zone: Str.optional(),
  ready: z.boolean(),
  /** With `terminating`: the pod still passes its readiness (EndpointSlice `serving`). */
  serving: z.boolean().optional(),
  /** The pod is being deleted (never `ready` then). Sent only to protocol-10 sessions (`route-dialects.ts`). */
  terminating: z.literal(true).optional(),
});
export type RouteEndpoint = z.infer<typeof RouteEndpoint>;

/** A Service as a node's proxy needs it: ports plus the endpoints the hub resolved. */
export const ServiceRoute = z.strictObject({
  namespace: Name,
  name: Name,
  type: z.enum(['ClusterIP', 'NodePort']),
  sessionAffinity: z.enum(['None', 'ClientIP']),
  ports: z
    .array(
      z.strictObject({
        name: Str.optional(),
        port: z.number().int(),
        targetPort: z.union([z.number().int(), Str]),
        nodePort: z.number().int().optional(),
      }),
    )
    .max(256),
  endpoints: z.array(RouteEndpoint).max(MAX_ENDPOINTS),
  /**
   * Requests are held while no endpoint is ready, and the hub woken (`serviceWake`): the Service
   * selects a workload an HPA may take to zero. Absent: no ready endpoint answers 503 at once.
   */
  scaleFromZero: z.literal(true).optional(),
  /** HTTPRoute rules applied to requests for this route (see wire-routes.ts); absent: plain balancing. */
  http: HttpRouting.optional(),
});
export type ServiceRoute = z.infer<typeof ServiceRoute>;

/** Where one Service lives in a node's set: its namespace and name. */
export const ServiceKey = z.strictObject({ namespace: Name, name: Name });
export type ServiceKey = z.infer<typeof ServiceKey>;

/** A Service route at a revision of the hub's Service stream (protocol 2). */
export const ServiceEntry = z.strictObject({ rev: z.number().int().nonnegative(), route: ServiceRoute });
export type ServiceEntry = z.infer<typeof ServiceEntry>;

/** The whole set of Services with their endpoints. */
export const HubServiceSync = z.strictObject({
  type: z.literal('serviceSync'),
  services: z.array(ServiceRoute).max(MAX_SERVICES),
});
/**
 * Protocol 2: the whole Service set this node needs (NodePort Services, and the Services of the
 * namespaces its pods live in or name), at stream `revision` of hub process `epoch`. `services` come
 * whole; `keep` names Services the node already holds at `rev` (a resumed session): the node keeps
 * those, drops every Service named in neither list, and asks for a `resync` if it lacks a kept one.
 */
export const HubServiceSet = z.strictObject({
  type: z.literal('serviceSet'),
  epoch: Str,
  revision: z.number().int().nonnegative(),
  services: z.array(ServiceEntry).max(MAX_SERVICES),
  keep: z.array(ServiceKey.extend({ rev: z.number().int().nonnegative() })).max(MAX_SERVICES),
});
/**
 * Protocol 2: one Service changed at revision `rev`. Exactly one of: `route` (the whole route: a
 * Service new to this node or whose ports or type changed), `endpoints` (a patch of the endpoints of
 * the Service the node holds at revision `prev`; a node holding another revision asks for a `resync`),
 * `removed` (the Service is gone, or this node no longer needs it). One encoding is sent to every node
 * concerned.
 */
export const HubServiceDelta = z
  .strictObject({
    type: z.literal('serviceDelta'),
    rev: z.number().int().nonnegative(),
    namespace: Name,
    name: Name,
    route: ServiceRoute.optional(),
    prev: z.number().int().nonnegative().optional(),
    endpoints: z
      .strictObject({
        /** Endpoints added or changed (matched by pod uid). */
        upsert: z.array(RouteEndpoint).max(MAX_ENDPOINTS),
        /** Pod uids of endpoints gone. */
        remove: z.array(Str).max(MAX_ENDPOINTS),
      })
      .optional(),
    removed: z.literal(true).optional(),
  })
  .refine((d) => [d.route, d.endpoints, d.removed].filter((x) => x !== undefined).length === 1, {
    message: 'a serviceDelta carries exactly one of route, endpoints, removed',
  })
  .refine((d) => d.endpoints === undefined || d.prev !== undefined, {
    message: 'an endpoints patch names the revision it applies to (prev)',
  });
