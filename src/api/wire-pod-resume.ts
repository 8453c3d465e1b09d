/**
 * Pod-set resumption (protocol 9; part of the protocol in `wire.ts`, which lists the frames). A
 * node's position is what it was sent, uid by uid: the hub stamps every pod it sends with a hash of
 * what the node sees of it (`hashes` of `podSync`, `hash` of `podUpsert`), and on a redial the node
 * offers those pairs in its `hello` (`pods`). The hub compares them with the node's desired set now
 * and sends a `podResume` (pods added or changed, uids to drop) instead of the whole set.
 *
 * A position is not a store revision: status writes move revisions all through an outage, while the
 * hash moves only when what the node must hear about changes. Nor does it depend on the hub process:
 * any hub of the cluster can resume any node. The set digest in `podResume` lets the node check that
 * the set it assembled is the hub's; if not, it asks for the whole set again (`podResync`).
 */
import { hash } from 'node:crypto';
import { z } from 'zod';
import { Pod } from './pod.js';
import { Str } from './wire-shapes.js';

/** First protocol version that stamps pods with hashes and resumes a node's pod set. */
export const POD_RESUME_PROTOCOL = 9;
/** Pods a set or a position may hold (`MAX_SYNC_PODS` of `wire.ts`, restated to avoid a cycle). */
const MAX_PODS = 5000;
/** Characters of one hash (96 bits of SHA-256 in base64url). */
const HASH_CHARS = 16;
/** Longest `hello.pods`: a uid (a UUID, at most 253), a colon, a hash and a comma per pod. */
export const MAX_POD_POSITION_CHARS = MAX_PODS * (253 + HASH_CHARS + 2);

/** The hash of one pod as its node holds it. */
export const PodHash = z
  .string()
  .length(HASH_CHARS)
  .regex(/^[A-Za-z0-9_-]+$/, 'a pod hash is base64url');

/** The node's position: `uid:hash` pairs joined by commas (one string: a node's frame bounds its values). */
export const PodPosition = z.string().max(MAX_POD_POSITION_CHARS);

/** The hash of `value` in the wire's hash form (96 bits of SHA-256, base64url). */
export function wireHash(text: string): string {
  // The one-shot hash (Node 20.12+): ~0.7 µs for a pod's text, where a Hash object took ~1.2.
  return hash('sha256', text, 'base64url').slice(0, HASH_CHARS);
}

/** Fields of a pod whose change the node must hear about (status changes come from the node itself). */
export function nodeRelevant(p: Pod): unknown {
  return [
    p.metadata.uid,
    p.metadata.generation,
    p.metadata.labels,
    p.metadata.deletionTimestamp,
    p.metadata.deletionGracePeriodSeconds,
    p.spec,
  ];
}

/**
 * The text a pod's hash is taken of: JSON with each object's keys sorted, as protocol 9 defined it —
 * `JSON.stringify` with a replacer rebuilding every object from its sorted entries. A rebuilt object
 * lists its array-index keys ("0", "10") first, in numeric order, then the others in sorted order, so
 * that is the order here too (a library's sorted JSON puts "10" before "9" and "0" after ""; label keys
 * may be digits). Written out because the replacer's copies cost ~6 µs a fleet pod (~3 here), and the
 * hub hashes every pod it sends; a property test holds it to the definition.
 */
function canonical(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const v = value as { toJSON?: () => unknown } & Record<string, unknown>;
  if (typeof v.toJSON === 'function') return canonical(v.toJSON());
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + (canonical(value[i]) ?? 'null');
    return out + ']';
  }
  // Own enumerable keys come index keys first (in numeric order), then the others as added.
  const keys = Object.keys(v);
  let indexKeys = 0;
  while (indexKeys < keys.length && isArrayIndex(keys[indexKeys]!)) indexKeys++;
  const named = keys.slice(indexKeys).sort();
  let out = '{';
  let first = true;
  for (let i = 0; i < keys.length; i++) {
    const k = i < indexKeys ? keys[i]! : named[i - indexKeys]!;
    const text = canonical(v[k]);
    if (text === undefined) continue;
    out += (first ? '' : ',') + JSON.stringify(k) + ':' + text;
    first = false;
  }
  return out + '}';
}

/** A key JavaScript orders as an array index: a canonical integer below 2^32 - 1. */
function isArrayIndex(k: string): boolean {
  if (k.length === 0 || k.length > 10 || (k.length > 1 && k.charCodeAt(0) === 48)) return false;
  for (let i = 0; i < k.length; i++) {
    const c = k.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return Number(k) < 4294967295;
}

/**
 * The hash of what a node sees of `pod` (`pod` as its protocol gets it). Status is not in it. Here,
 * not in the hub, so that a restarted agent can check that a pod of its local state is still the one
 * a stamp it kept describes.
 */
export function podHash(pod: Pod): string {
  return wireHash(canonical(nodeRelevant(pod)) ?? '');
}

/** The digest of a whole set of `uid → hash` (sorted by uid, so both sides get the same). */
export function podSetDigest(hashes: ReadonlyMap<string, string>): string {
  const uids = [...hashes.keys()].sort();
  return wireHash(uids.map((u) => `${u}:${hashes.get(u) ?? ''}`).join('\n'));
}

/**
 * Encodes a position for `hello.pods`. A uid with a comma (never one the hub makes) is left out: the
 * hub then counts that pod as not held and sends it again.
 */
export function encodePodPosition(hashes: ReadonlyMap<string, string>): string {
  return [...hashes]
    .filter(([uid]) => !uid.includes(','))
    .map(([uid, hash]) => `${uid}:${hash}`)
    .join(',');
}

/** Error of a `hello.pods` that does not read: the hub sends the whole set instead. */
export class PodPositionError extends Error {}

/** Reads a position from `hello.pods` (throws `PodPositionError` naming what is wrong). */
export function decodePodPosition(text: string): Map<string, string> {
  const out = new Map<string, string>();
  if (text === '') return out;
  for (const pair of text.split(',')) {
    const at = pair.lastIndexOf(':');
    const uid = pair.slice(0, at);
    const hash = pair.slice(at + 1);
    if (at <= 0 || !PodHash.safeParse(hash).success)
      throw new PodPositionError(`pod position entry "${pair.slice(0, 64)}" is not uid:hash`);
    if (out.has(uid)) throw new PodPositionError(`pod position names uid ${uid.slice(0, 64)} twice`);
    out.set(uid, hash);
  }
  if (out.size > MAX_PODS) throw new PodPositionError(`pod position holds more than ${MAX_PODS} pods`);
  return out;
}

/**
 * The node's desired set as a change of the position it offered: `pods` are added or changed (with
 * their `hashes`, in order), `remove` names the uids to stop, every other pod of the position is
 * kept. `digest` is `podSetDigest` of the set that results.
 */
export const HubPodResume = z.strictObject({
  type: z.literal('podResume'),
  pods: z.array(Pod).max(MAX_PODS),
  hashes: z.array(PodHash).max(MAX_PODS),
  remove: z.array(Str).max(MAX_PODS),
  digest: PodHash,
});
export type HubPodResume = z.infer<typeof HubPodResume>;

/** The set a `podResume` made is not the hub's (its digest differs): the hub sends the whole `podSync`. */
export const NodePodResync = z.strictObject({ type: z.literal('podResync'), reason: z.string().max(1024) });
export type NodePodResync = z.infer<typeof NodePodResync>;
