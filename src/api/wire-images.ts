/**
 * The gateway frame of protocol 6 that keeps a Node's image list current (part of the protocol in
 * `wire.ts`, which lists it in `NodeToHub`). A node lists its images in `hello`; after that it sends
 * `images` whenever the list changed (a pull, a transpile, an image removed), coalesced, so the
 * scheduler's ImageLocality sees what each node holds now, not what it held when it connected. The
 * frame names no node: the hub writes `status.images` of the session's own Node only. The hub refuses
 * it on a session of an older protocol.
 */
import { z } from 'zod';

/** First protocol version that carries the frame. */
export const IMAGES_PROTOCOL_VERSION = 6;
/** Image references a node lists in its hello and `images` frames (Kubernetes reports 50 by default). */
export const MAX_NODE_IMAGES = 256;
/** Longest image reference listed. */
export const MAX_IMAGE_REF = 1024;

/** References of the images a node holds. */
export const NodeImageList = z.array(z.string().max(MAX_IMAGE_REF)).max(MAX_NODE_IMAGES);

/** The node's whole image list now: the hub replaces `status.images` of the node's Node with it. */
export const NodeImages = z.strictObject({ type: z.literal('images'), images: NodeImageList });
export type NodeImages = z.infer<typeof NodeImages>;
