/**
 * The ConfigMaps and Secrets a pod references: its volumes, `env[].valueFrom`, `envFrom` and
 * `imagePullSecrets`. One answer for node delivery (what a node is sent), node restriction (what a
 * node may read) and the config rollout (what a Deployment's template depends on).
 */
import type { PodSpec } from '../../api/index.js';

/** The kinds a pod can reference. */
export type ConfigKind = 'ConfigMap' | 'Secret';

/** One referenced object, in the pod's namespace. */
export interface ConfigRef {
  kind: ConfigKind;
  name: string;
}

/** `ConfigMap/<ns>/<name>` or `Secret/<ns>/<name>`: the index key of one object. */
export function configKey(kind: ConfigKind, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

/** Every object `spec` references, each once, in a stable order. */
export function podConfigRefs(spec: Pick<PodSpec, 'containers' | 'volumes' | 'imagePullSecrets'>): ConfigRef[] {
  const seen = new Map<string, ConfigRef>();
  const add = (kind: ConfigKind, name: string | undefined): void => {
    if (name !== undefined && name !== '') seen.set(`${kind}/${name}`, { kind, name });
  };
  for (const v of spec.volumes ?? []) {
    add('ConfigMap', v.configMap?.name);
    add('Secret', v.secret?.secretName);
  }
  for (const c of spec.containers) {
    for (const e of c.env ?? []) {
      add('ConfigMap', e.valueFrom?.configMapKeyRef?.name);
      add('Secret', e.valueFrom?.secretKeyRef?.name);
    }
    for (const f of c.envFrom ?? []) {
      add('ConfigMap', f.configMapRef?.name);
      add('Secret', f.secretRef?.name);
    }
  }
  for (const s of spec.imagePullSecrets ?? []) add('Secret', s.name);
  return [...seen.values()];
}

/** The index keys of every object a pod in `namespace` with `spec` references. */
export function podConfigKeys(namespace: string, spec: Parameters<typeof podConfigRefs>[0]): string[] {
  return podConfigRefs(spec).map((r) => configKey(r.kind, namespace, r.name));
}
