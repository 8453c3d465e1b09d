/**
 * Encodings of the Service stream (protocol 2). Each Service's entry is encoded once per revision and
 * cached by the stream; a node's `serviceSet` is assembled around those encodings (msgpack values are
 * self-contained, so concatenating them makes a valid array), so a reconnect storm of thousands of
 * nodes costs one encoding per Service, not one per node and Service.
 */
import type { HubToNode, RouteEndpoint, ServiceKey, ServiceRoute } from '../../api/index.js';
import { encodeFrame } from '../../api/index.js';

type Delta = Extract<HubToNode, { type: 'serviceDelta' }>;

/** `{rev, route}`, as one element of a `serviceSet`'s `services`. */
export function encodeEntry(rev: number, route: ServiceRoute): Buffer {
  return encodeFrame({ rev, route });
}

/** A whole-route delta: a Service new to the node, or whose ports or type changed. */
export function encodeRouteDelta(rev: number, route: ServiceRoute): Buffer {
  return encodeFrame({
    type: 'serviceDelta',
    rev,
    namespace: route.namespace,
    name: route.name,
    route,
  } satisfies Delta);
}

/** An endpoints patch of the Service held at `prev`. */
export function encodePatchDelta(
  key: ServiceKey,
  rev: number,
  prev: number,
  upsert: RouteEndpoint[],
  remove: string[],
): Buffer {
  return encodeFrame({
    type: 'serviceDelta',
    rev,
    prev,
    namespace: key.namespace,
    name: key.name,
    endpoints: { upsert, remove },
  } satisfies Delta);
}

/** The Service is gone from the node's set. */
export function encodeRemovedDelta(key: ServiceKey, rev: number): Buffer {
  return encodeFrame({
    type: 'serviceDelta',
    rev,
    namespace: key.namespace,
    name: key.name,
    removed: true,
  } satisfies Delta);
}

const str = (t: string): Buffer => encodeFrame(t);

/** `{type: 'serviceSet', epoch, revision, services: [...entries], keep}` around pre-encoded entries. */
export function assembleServiceSet(
  epoch: string,
  revision: number,
  entries: readonly Buffer[],
  keep: Array<ServiceKey & { rev: number }>,
): Buffer {
  const count = Buffer.alloc(5);
  count[0] = 0xdd; // array 32
  count.writeUInt32BE(entries.length, 1);
  return Buffer.concat([
    Buffer.from([0x85]), // map of 5
    str('type'),
    str('serviceSet'),
    str('epoch'),
    str(epoch),
    str('revision'),
    encodeFrame(revision),
    str('services'),
    count,
    ...entries,
    str('keep'),
    encodeFrame(keep),
  ]);
}

/**
 * Endpoints in one frame of the Service stream: about 150 B each, so a frame stays near 60 KB. A
 * larger route goes as several frames (`ServiceTopic.parts`), so no write to a node is bigger than
 * this, a node decodes it in small steps, and the fan-out can yield and interleave nodes between
 * frames (Kubernetes' EndpointSlices split a Service's endpoints for the same reasons).
 */
export const SERVICE_CHUNK_ENDPOINTS = 400;

/** `items` in consecutive pieces of at most `size` (at least one piece, possibly empty). */
export function piecesOf<T>(items: readonly T[], size: number): T[][] {
  if (items.length <= size) return [[...items]];
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Ready endpoints first (a node holding the first part of a route can already send traffic). */
export function readyFirst(endpoints: readonly RouteEndpoint[]): RouteEndpoint[] {
  return [...endpoints.filter((e) => e.ready), ...endpoints.filter((e) => !e.ready)];
}
