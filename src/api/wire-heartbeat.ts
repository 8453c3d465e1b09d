/**
 * The gateway frame of protocol 11 that re-paces a node's heartbeats (part of the protocol in
 * `wire.ts`, which lists it in `HubToNode`). The `welcome` names the interval a session starts at; a
 * hub whose fleet outgrows its heartbeat budget lengthens every node's interval with this frame, and
 * shortens it again as the fleet shrinks (as Nomad's servers scale their clients' heartbeat TTL by
 * `max_heartbeats_per_second`). The node beats at the new interval from a random phase within it, so a
 * fleet re-paced at once does not beat in step. The hub sends it only to sessions of protocol 11 or later.
 */
import { z } from 'zod';

/** First protocol version that carries the frame. */
export const HEARTBEAT_PACE_PROTOCOL = 11;

/** Beat every `heartbeatIntervalSeconds` from now on. */
export const HubHeartbeatPace = z.strictObject({
  type: z.literal('heartbeatPace'),
  heartbeatIntervalSeconds: z.number().positive().max(3600),
});
export type HubHeartbeatPace = z.infer<typeof HubHeartbeatPace>;
