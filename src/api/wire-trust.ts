/**
 * The gateway frame of protocol 3 that carries revoked node credentials (part of the protocol in
 * `wire.ts`, which lists it in `HubToNode`). Deleting a Node revokes its certificate at the hub at
 * once; its peers learn it from this frame, so a deleted node's certificate, still unexpired, is
 * refused on their mesh ports too. The hub sends the whole list after `welcome` and again whenever it
 * changes (level-triggered: the latest frame is the list). Each entry is the sha256 of a revoked key's
 * SubjectPublicKeyInfo and the latest time a certificate for it can expire, after which it is dropped:
 * the list stays as short as the node certificates' lifetime allows.
 */
import { z } from 'zod';

/** First protocol version that carries the frame. */
export const TRUST_PROTOCOL_VERSION = 3;
/** Entries one frame may hold: node deletions within one certificate lifetime. */
export const MAX_REVOKED_KEYS = 10_000;

/** One revoked key: its SPKI sha256 (hex) and when the last certificate for it expires (RFC 3339). */
export const RevokedKey = z.strictObject({
  spkiSha256: z.string().regex(/^[0-9a-f]{64}$/),
  notAfter: z.string().max(64),
});
export type RevokedKey = z.infer<typeof RevokedKey>;

/** The whole list of revoked node keys: the node replaces what it held with it. */
export const HubRevokedKeys = z.strictObject({
  type: z.literal('revokedKeys'),
  keys: z.array(RevokedKey).max(MAX_REVOKED_KEYS),
});
export type HubRevokedKeys = z.infer<typeof HubRevokedKeys>;
