/**
 * v1 ConfigMap and v1 Secret: configuration and credentials kept apart from code, with Kubernetes'
 * validation (key names, the 1 MiB object limit, and the per-type rules of Secrets).
 */
import { z } from 'zod';
import { objectShape } from './meta.js';

/** Kubernetes' limit on the data of one ConfigMap or Secret. */
export const MAX_CONFIG_OBJECT_BYTES = 1024 * 1024;

/** A ConfigMap/Secret key: `[-._a-zA-Z0-9]+`, at most 253 characters, not `.` or `..` (it may become a file name). */
export const ConfigKey = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[-._a-zA-Z0-9]+$/, {
    message: "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
  })
  .refine((k) => k !== '.' && k !== '..' && !k.startsWith('..'), {
    message: "must not be '.' or '..', nor start with '..'",
  });

/** Adds an issue naming each key of `record` that is not a valid config key (zod's record-key message says only "Invalid key"). */
function checkKeys(record: Record<string, unknown> | undefined, field: string, ctx: z.RefinementCtx): void {
  for (const k of Object.keys(record ?? {})) {
    const r = ConfigKey.safeParse(k);
    if (!r.success)
      ctx.addIssue({ code: 'custom', path: [field, k], message: r.error.issues[0]?.message ?? 'invalid key' });
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A base64 value (standard alphabet, padded), as Kubernetes encodes `[]byte` fields in JSON. */
export const Base64Value = z.string().regex(BASE64, { message: 'must be base64-encoded (standard alphabet, padded)' });

/** Decoded size of a base64 string, without decoding it. */
export function base64Size(b64: string): number {
  const pad = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  return (b64.length / 4) * 3 - pad;
}

export const ConfigMap = z
  .strictObject({
    ...objectShape('v1', 'ConfigMap'),
    data: z
      .record(z.string(), z.string())
      .optional()
      .describe('UTF-8 values by key; keys are file names when mounted as a volume.'),
    binaryData: z
      .record(z.string(), Base64Value)
      .optional()
      .describe('Binary values by key, base64-encoded; a key may not also be in data.'),
    immutable: z
      .boolean()
      .optional()
      .describe('When true, data and binaryData can no longer change (delete and recreate instead).'),
  })
  .describe(
    'ConfigMap holds configuration for pods, as environment variables, files in a volume or wasi:config entries.',
  )
  .superRefine((cm, ctx) => {
    checkKeys(cm.data, 'data', ctx);
    checkKeys(cm.binaryData, 'binaryData', ctx);
    let size = 0;
    for (const [k, v] of Object.entries(cm.data ?? {})) {
      size += k.length + Buffer.byteLength(v);
      if (cm.binaryData && k in cm.binaryData)
        ctx.addIssue({ code: 'custom', path: ['binaryData', k], message: `duplicate of key "${k}" in data` });
    }
    for (const [k, v] of Object.entries(cm.binaryData ?? {})) size += k.length + base64Size(v);
    if (size > MAX_CONFIG_OBJECT_BYTES)
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: `Too long: must have at most ${MAX_CONFIG_OBJECT_BYTES} bytes`,
      });
  });
export type ConfigMap = z.infer<typeof ConfigMap>;

/** The Secret types Edgeplane validates, as Kubernetes names them. */
export const SECRET_TYPES = {
  opaque: 'Opaque',
  dockerConfigJson: 'kubernetes.io/dockerconfigjson',
  tls: 'kubernetes.io/tls',
  basicAuth: 'kubernetes.io/basic-auth',
} as const;
export type SecretType = (typeof SECRET_TYPES)[keyof typeof SECRET_TYPES];

export const Secret = z
  .strictObject({
    ...objectShape('v1', 'Secret'),
    type: z
      .enum([SECRET_TYPES.opaque, SECRET_TYPES.dockerConfigJson, SECRET_TYPES.tls, SECRET_TYPES.basicAuth])
      .optional(),
    data: z
      .record(z.string(), Base64Value)
      .optional()
      .describe('Secret values by key, base64-encoded; encrypted at rest and sent only to nodes whose pods use them.'),
    /** Write-only convenience: merged into `data` (base64-encoded) by the hub, never stored or returned. */
    stringData: z
      .record(z.string(), z.string())
      .optional()
      .describe('Write-only plain-text values, merged into data by the hub; never stored or returned as such.'),
    immutable: z.boolean().optional().describe('When true, data can no longer change (delete and recreate instead).'),
  })
  .describe('Secret holds sensitive values (passwords, tokens, keys, registry credentials) for pods.')
  .superRefine((s, ctx) => {
    checkKeys(s.data, 'data', ctx);
    checkKeys(s.stringData, 'stringData', ctx);
    let size = 0;
    for (const [k, v] of Object.entries(s.data ?? {})) size += k.length + base64Size(v);
    for (const [k, v] of Object.entries(s.stringData ?? {})) size += k.length + Buffer.byteLength(v);
    if (size > MAX_CONFIG_OBJECT_BYTES)
      ctx.addIssue({
        code: 'custom',
        path: ['data'],
        message: `Too long: must have at most ${MAX_CONFIG_OBJECT_BYTES} bytes`,
      });
  });
export type Secret = z.infer<typeof Secret>;

/** The keys a Secret has once `stringData` is merged into `data`. */
export function secretKeys(s: Pick<Secret, 'data' | 'stringData'>): Set<string> {
  return new Set([...Object.keys(s.data ?? {}), ...Object.keys(s.stringData ?? {})]);
}
