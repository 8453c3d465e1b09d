/**
 * The gateway frames that carry ConfigMaps and Secrets to the nodes whose pods use them (part of the
 * protocol in `wire.ts`, which lists them in `HubToNode`).
 */
import { z } from 'zod';
import { NAME_MAX, Name, Str } from './wire-shapes.js';

/** ConfigMaps/Secrets in one `configSync` part (each at most 1 MiB: parts stay under the frame bound). */
export const MAX_SYNC_CONFIG_OBJECTS = 5000;
/** Data bytes of one ConfigMap/Secret on the wire: Kubernetes' 1 MiB object limit. */
export const MAX_CONFIG_OBJECT_DATA_BYTES = 1024 * 1024;

/**
 * A ConfigMap or Secret that a pod bound to the node uses, with every key's value as bytes
 * (ConfigMap `data` as UTF-8 and `binaryData`, Secret `data` decoded). Only over the node's own TLS
 * session, only to nodes whose pods reference it; the node keeps it encrypted under its data dir.
 */
export const ConfigObject = z.strictObject({
  kind: z.enum(['ConfigMap', 'Secret']),
  namespace: Name,
  name: Name,
  uid: Str,
  resourceVersion: Str,
  /** The Secret's `type` (e.g. `kubernetes.io/dockerconfigjson` for `imagePullSecrets`). */
  secretType: Str.optional(),
  data: z
    .record(z.string().max(NAME_MAX), z.instanceof(Uint8Array))
    .refine((d) => Object.values(d).reduce((n, v) => n + v.byteLength, 0) <= MAX_CONFIG_OBJECT_DATA_BYTES, {
      message: `at most ${MAX_CONFIG_OBJECT_DATA_BYTES} bytes of data`,
    }),
});
export type ConfigObject = z.infer<typeof ConfigObject>;
/**
 * Every ConfigMap and Secret the node's pods use: anything not listed is no longer needed and is
 * removed from the node. Sent before the `podSync` it serves; split like it (`more: true` on every
 * part but the last; the node applies the set once the last part arrives).
 */
export const HubConfigSync = z.strictObject({
  type: z.literal('configSync'),
  objects: z.array(ConfigObject).max(MAX_SYNC_CONFIG_OBJECTS),
  more: z.boolean().optional(),
});
/** One ConfigMap/Secret the node needs, added or changed (sent before a pod that needs it). */
export const HubConfigUpsert = z.strictObject({ type: z.literal('configUpsert'), object: ConfigObject });
/** One ConfigMap/Secret the node no longer needs (no pod of the node uses it) or that was deleted. */
export const HubConfigDelete = z.strictObject({
  type: z.literal('configDelete'),
  kind: z.enum(['ConfigMap', 'Secret']),
  namespace: Name,
  name: Name,
});
