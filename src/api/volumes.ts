/**
 * Pod volumes and the config references of containers: `configMap`, `secret`, `emptyDir` and
 * `hostPath` volumes, `volumeMounts`, `env[].valueFrom.{configMapKeyRef,secretKeyRef}` and `envFrom`
 * — the supported subset of Kubernetes' shapes, validated as the API server does.
 */
import { z } from 'zod';
import { DnsLabel, DnsSubdomain } from './meta.js';
import { ConfigKey } from './config.js';
import { MemoryQuantity } from './quantity.js';

/** File mode bits of a projected file (Kubernetes: 0 to 0777). */
const FileMode = z.number().int().min(0).max(0o777);

/** A path inside a volume: relative, no `..` element, no empty element. */
export const VolumeRelativePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => !p.startsWith('/'), { message: 'must be a relative path' })
  .refine((p) => !p.split('/').includes('..'), { message: "must not contain '..'" });

/** `items[]` of a configMap/secret volume: which key lands at which relative path. */
export const KeyToPath = z.strictObject({ key: ConfigKey, path: VolumeRelativePath, mode: FileMode.optional() });
export type KeyToPath = z.infer<typeof KeyToPath>;

export const ConfigMapVolumeSource = z.strictObject({
  name: DnsSubdomain,
  items: z.array(KeyToPath).optional(),
  defaultMode: FileMode.optional(),
  optional: z.boolean().optional(),
});
export type ConfigMapVolumeSource = z.infer<typeof ConfigMapVolumeSource>;

export const SecretVolumeSource = z.strictObject({
  secretName: DnsSubdomain,
  items: z.array(KeyToPath).optional(),
  defaultMode: FileMode.optional(),
  optional: z.boolean().optional(),
});
export type SecretVolumeSource = z.infer<typeof SecretVolumeSource>;

export const EmptyDirVolumeSource = z.strictObject({
  /** `''` (node disk) or `Memory` (tmpfs for containers; memory-backed for Wasm). */
  medium: z.enum(['', 'Memory']).optional(),
  sizeLimit: MemoryQuantity.optional(),
});
export type EmptyDirVolumeSource = z.infer<typeof EmptyDirVolumeSource>;

export const HostPathVolumeSource = z.strictObject({
  path: z
    .string()
    .min(1)
    .refine((p) => p.startsWith('/'), { message: 'must be an absolute path' }),
  type: z
    .enum(['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'])
    .optional(),
});
export type HostPathVolumeSource = z.infer<typeof HostPathVolumeSource>;

const VOLUME_SOURCES = ['configMap', 'secret', 'emptyDir', 'hostPath'] as const;

export const Volume = z
  .strictObject({
    name: DnsLabel,
    configMap: ConfigMapVolumeSource.optional(),
    secret: SecretVolumeSource.optional(),
    emptyDir: EmptyDirVolumeSource.optional(),
    hostPath: HostPathVolumeSource.optional(),
  })
  .superRefine((v, ctx) => {
    const set = VOLUME_SOURCES.filter((s) => v[s] !== undefined).length;
    if (set === 0) ctx.addIssue({ code: 'custom', message: 'must specify a volume type' });
    if (set > 1) ctx.addIssue({ code: 'custom', message: 'may not specify more than 1 volume type' });
  });
export type Volume = z.infer<typeof Volume>;

export const VolumeMount = z.strictObject({
  name: DnsLabel,
  mountPath: z
    .string()
    .min(1)
    .max(4096)
    .refine((p) => p.startsWith('/'), { message: 'must be an absolute path' })
    .refine((p) => !p.split('/').includes('..'), { message: "must not contain '..'" }),
  readOnly: z.boolean().optional(),
  subPath: VolumeRelativePath.optional(),
});
export type VolumeMount = z.infer<typeof VolumeMount>;

/** `configMapKeyRef` / `secretKeyRef`: one key of a named object in the pod's namespace. */
export const KeySelector = z.strictObject({ name: DnsSubdomain, key: ConfigKey, optional: z.boolean().optional() });
export type KeySelector = z.infer<typeof KeySelector>;

/** `envFrom[].configMapRef` / `secretRef`. */
export const ObjectRefOptional = z.strictObject({ name: DnsSubdomain, optional: z.boolean().optional() });

export const EnvFromSource = z
  .strictObject({
    prefix: z.string().max(253).optional(),
    configMapRef: ObjectRefOptional.optional(),
    secretRef: ObjectRefOptional.optional(),
  })
  .refine((e) => (e.configMapRef === undefined) !== (e.secretRef === undefined), {
    message: 'must specify exactly one of configMapRef and secretRef',
  });
export type EnvFromSource = z.infer<typeof EnvFromSource>;

/** `imagePullSecrets[]`: a `kubernetes.io/dockerconfigjson` Secret in the pod's namespace. */
export const LocalObjectReference = z.strictObject({ name: DnsSubdomain });
export type LocalObjectReference = z.infer<typeof LocalObjectReference>;
