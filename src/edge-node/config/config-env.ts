/**
 * A container's config references as the kubelet resolves them: `envFrom` (each ConfigMap's or
 * Secret's keys, after `prefix`; keys that are not valid env names skipped with an Event) and
 * `env[].valueFrom.{configMapKeyRef,secretKeyRef}`. A non-optional reference to a missing object or
 * key fails the whole container with the kubelet's message (`configmap "x" not found`, `couldn't find
 * key k in Secret ns/x`); an optional one is left out. Also gives the `wasi:config/store` entries of
 * a Wasm container: the same `envFrom` keys, prefixed, whatever their names.
 */
import type { ConfigObject, Container, KeySelector } from '../../api/index.js';
import type { ConfigKind, ConfigLookup } from './config-store.js';

/** Kubernetes' env var names: a C identifier with `-` and `.` allowed. */
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** The references of one container, resolved. */
export interface ResolvedConfigRefs {
  /** Env from `envFrom`, in order (later sources win); the container's own `env` goes over it. */
  envFrom: Record<string, string>;
  /** `wasi:config/store` entries: every `envFrom` key after `prefix`. */
  config: Record<string, string>;
  /** Value of a `configMapKeyRef`/`secretKeyRef`; undefined for an optional one that is missing. */
  keyRef(kind: ConfigKind, sel: KeySelector): string | undefined;
  /** Warnings for Events (`InvalidEnvironmentVariableNames`), one per source with skipped keys. */
  warnings: string[];
}

/** Resolution failed: what is missing, worded as the kubelet words it. */
export interface MissingConfig {
  missing: string;
}

const kindWord = (kind: ConfigKind): string => (kind === 'ConfigMap' ? 'configmap' : 'secret');
const text = (v: Uint8Array): string => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');

/** Resolves `container`'s references in `namespace` against `lookup`. */
export function resolveConfigRefs(
  namespace: string,
  container: Container,
  lookup: ConfigLookup,
): ResolvedConfigRefs | MissingConfig {
  const envFrom: Record<string, string> = {};
  const config: Record<string, string> = {};
  const warnings: string[] = [];
  for (const src of container.envFrom ?? []) {
    const kind: ConfigKind = src.configMapRef ? 'ConfigMap' : 'Secret';
    const ref = src.configMapRef ?? src.secretRef;
    if (!ref) continue;
    const obj = lookup.get(kind, namespace, ref.name);
    if (!obj) {
      if (ref.optional === true) continue;
      return { missing: `${kindWord(kind)} "${ref.name}" not found` };
    }
    const invalid: string[] = [];
    for (const [k, v] of Object.entries(obj.data)) {
      const name = `${src.prefix ?? ''}${k}`;
      config[name] = text(v);
      if (ENV_NAME.test(name)) envFrom[name] = text(v);
      else invalid.push(name);
    }
    if (invalid.length > 0)
      warnings.push(
        `Keys [${invalid.sort().join(', ')}] from the EnvFrom ${kindWord(kind)} ${namespace}/${ref.name} were skipped since they are considered invalid environment variable names.`,
      );
  }
  const get = (kind: ConfigKind, sel: KeySelector): { value?: string; missing?: string } => {
    const obj: ConfigObject | undefined = lookup.get(kind, namespace, sel.name);
    if (!obj) return sel.optional === true ? {} : { missing: `${kindWord(kind)} "${sel.name}" not found` };
    const v = obj.data[sel.key];
    if (v === undefined)
      return sel.optional === true
        ? {}
        : { missing: `couldn't find key ${sel.key} in ${kind} ${namespace}/${sel.name}` };
    return { value: text(v) };
  };
  for (const e of container.env ?? []) {
    const cm = e.valueFrom?.configMapKeyRef;
    const sec = e.valueFrom?.secretKeyRef;
    const r = cm ? get('ConfigMap', cm) : sec ? get('Secret', sec) : {};
    if (r.missing !== undefined) return { missing: r.missing };
  }
  return { envFrom, config, warnings, keyRef: (kind, sel) => get(kind, sel).value };
}

/** The ConfigMaps and Secrets `container` refers to through env (for re-syncing on their change). */
export function envReferences(container: Container): Array<{ kind: ConfigKind; name: string }> {
  const out: Array<{ kind: ConfigKind; name: string }> = [];
  for (const s of container.envFrom ?? []) {
    if (s.configMapRef) out.push({ kind: 'ConfigMap', name: s.configMapRef.name });
    if (s.secretRef) out.push({ kind: 'Secret', name: s.secretRef.name });
  }
  for (const e of container.env ?? []) {
    if (e.valueFrom?.configMapKeyRef) out.push({ kind: 'ConfigMap', name: e.valueFrom.configMapKeyRef.name });
    if (e.valueFrom?.secretKeyRef) out.push({ kind: 'Secret', name: e.valueFrom.secretKeyRef.name });
  }
  return out;
}
