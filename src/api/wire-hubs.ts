/**
 * The gateway frame of protocol 7 that tells a node every hub of its cluster (part of the protocol in
 * `wire.ts`, which lists it in `HubToNode`). Several hubs on one etcd each publish the address nodes
 * reach them at; the hub a node is on sends the whole list after `welcome` and again whenever it
 * changes (level-triggered: the latest frame is the list). A node started with one `--server` so
 * learns the others and can fail over to them; the addresses it was given stay in its list whatever
 * the frame says. The hub sends it only to sessions of protocol 7 or later.
 */
import { z } from 'zod';

/** First protocol version that carries the frame. */
export const HUBS_PROTOCOL_VERSION = 7;
/** Hubs one frame may list (the seeds' "3 to 7" servers, with room). */
export const MAX_HUBS = 16;

/** A hub's node-facing base URL (`https://10.0.0.1:7400`). */
export const HubUrl = z
  .string()
  .max(512)
  .regex(/^(https?|wss?):\/\/[^\s/]+(\/[^\s]*)?$/i, 'an http(s) or ws(s) URL');

/** The cluster's live hubs now: the node merges them with the addresses it was started with. */
export const HubList = z.strictObject({ type: z.literal('hubs'), urls: z.array(HubUrl).max(MAX_HUBS) });
export type HubList = z.infer<typeof HubList>;
