/**
 * A node session in memory that reads the Service stream as an agent of a given protocol did: with
 * the strict `ServiceRoute` and `RouteEndpoint` schemas of that agent (what it refuses, it drops),
 * keeping the routes it holds, patches applied. For the upgrade-skew tests (`route-dialects*.test.ts`).
 */
import { z } from 'zod';
import { HubToNode, MAX_HUB_FRAME_VALUES, RouteEndpoint, ServiceRoute, decodeFrame } from '../../../api/index.js';
import type { StreamSession } from '../service-stream.js';

/** `RouteEndpoint` before protocol 10 (no terminating endpoints). */
const ENDPOINT_BEFORE_10 = RouteEndpoint.omit({ serving: true, terminating: true });
const OLD_ENDPOINTS = { endpoints: z.array(ENDPOINT_BEFORE_10) };

/** `ServiceRoute` as agents of each protocol had it. */
export const ROUTE_OF: Record<number, z.ZodType> = {
  1: ServiceRoute.omit({ scaleFromZero: true, http: true }).extend(OLD_ENDPOINTS),
  3: ServiceRoute.omit({ scaleFromZero: true, http: true }).extend(OLD_ENDPOINTS),
  5: ServiceRoute.omit({ http: true }).extend(OLD_ENDPOINTS),
  6: ServiceRoute.extend(OLD_ENDPOINTS),
  9: ServiceRoute.extend(OLD_ENDPOINTS),
  10: ServiceRoute,
};

/** The strict Service frames of an agent whose `ServiceRoute` is `route` (what it refuses, it drops). */
function agentSchema(route: z.ZodType, endpoint: z.ZodType) {
  return z.discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('serviceSet'),
      epoch: z.string(),
      revision: z.number(),
      services: z.array(z.strictObject({ rev: z.number(), route })),
      keep: z.array(z.unknown()),
    }),
    z.strictObject({
      type: z.literal('serviceDelta'),
      rev: z.number(),
      prev: z.number().optional(),
      namespace: z.string(),
      name: z.string(),
      route: route.optional(),
      endpoints: z.strictObject({ upsert: z.array(endpoint), remove: z.array(z.string()) }).optional(),
      removed: z.literal(true).optional(),
    }),
    z.strictObject({ type: z.literal('serviceSync'), services: z.array(route) }),
  ]);
}
/** A node session in memory that reads every frame as its agent would. */
export class AgentSession implements StreamSession {
  readonly bufferedAmount = 0;
  readonly frames: Buffer[] = [];
  readonly refused: string[] = [];
  /** The routes held, by Service name, endpoint patches applied. */
  readonly routes = new Map<string, ServiceRoute>();
  readonly #schema: ReturnType<typeof agentSchema>;
  constructor(
    readonly nodeName: string,
    readonly protocol: number,
  ) {
    this.#schema = agentSchema(ROUTE_OF[protocol]!, protocol >= 10 ? RouteEndpoint : ENDPOINT_BEFORE_10);
  }

  sendFrame(frame: Buffer): void {
    this.frames.push(frame);
    const raw = decodeFrame(z.unknown(), frame, { maxValues: MAX_HUB_FRAME_VALUES });
    const read = this.#schema.safeParse(raw);
    if (!read.success) return void this.refused.push(read.error.message);
    // The newest schema reads it too (the route itself, as the agent keeps it).
    const msg = HubToNode.parse(raw);
    if (msg.type === 'serviceSet') for (const e of msg.services) this.routes.set(e.route.name, e.route);
    if (msg.type === 'serviceSync') for (const r of msg.services) this.routes.set(r.name, r);
    if (msg.type !== 'serviceDelta') return;
    if (msg.route) this.routes.set(msg.name, msg.route);
    const held = this.routes.get(msg.name);
    if (msg.endpoints && held) {
      const byUid = new Map(held.endpoints.map((e) => [e.pod.uid, e]));
      for (const uid of msg.endpoints.remove) byUid.delete(uid);
      for (const e of msg.endpoints.upsert) byUid.set(e.pod.uid, e);
      this.routes.set(msg.name, { ...held, endpoints: [...byUid.values()] });
    }
    if (msg.removed) this.routes.delete(msg.name);
  }
}
