/**
 * Validation the schemas cannot express: cross-field rules of one object, and rules relating an
 * update to the stored object. Each returns field causes; the kinds' strategies call them and the
 * registry turns them into 422. `admitImages` runs at admission (it compares with the stored object)
 * and throws the 422 itself.
 */
import {
  InvalidError,
  fromLabelSelector,
  matchesLabels,
  type FieldCause,
  type LabelSelector,
  type PodSpec,
  type ServiceSpec,
} from '../../api/index.js';

/** Valid range of Service node ports. */
export const NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;

/** Rules of a pod spec at `path` (unique container names). */
export function podSpecCauses(spec: PodSpec, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const seen = new Set<string>();
  spec.containers.forEach((c, i) => {
    if (seen.has(c.name))
      causes.push({
        field: `${path}.containers[${i}].name`,
        message: `Duplicate value: "${c.name}"`,
        reason: 'FieldValueDuplicate',
      });
    seen.add(c.name);
  });
  return causes;
}

/** Rules of a ReplicaSet, Deployment or DaemonSet spec: a non-empty selector matching the template. */
export function workloadCauses(spec: {
  selector: LabelSelector;
  template: { metadata?: { labels?: Record<string, string> }; spec: PodSpec };
}): FieldCause[] {
  const causes: FieldCause[] = [];
  const sel = fromLabelSelector(spec.selector) ?? [];
  if (sel.length === 0)
    causes.push({ field: 'spec.selector', message: 'empty selector is invalid', reason: 'FieldValueInvalid' });
  else if (!matchesLabels(sel, spec.template.metadata?.labels)) {
    causes.push({
      field: 'spec.template.metadata.labels',
      message: '`selector` does not match template `labels`',
      reason: 'FieldValueInvalid',
    });
  }
  return [...causes, ...podSpecCauses(spec.template.spec, 'spec.template.spec')];
}

/** Rules of a Service spec: node ports only for NodePort, in range, unique. */
export function serviceCauses(spec: ServiceSpec): FieldCause[] {
  const causes: FieldCause[] = [];
  const seen = new Set<number>();
  spec.ports.forEach((p, i) => {
    if (p.nodePort === undefined) return;
    const field = `spec.ports[${i}].nodePort`;
    if ((spec.type ?? 'ClusterIP') !== 'NodePort') {
      causes.push({
        field,
        message: `may not be used when \`type\` is '${spec.type ?? 'ClusterIP'}'`,
        reason: 'FieldValueForbidden',
      });
    } else if (p.nodePort < NODE_PORT_RANGE.min || p.nodePort > NODE_PORT_RANGE.max) {
      causes.push({
        field,
        message: `Invalid value: ${p.nodePort}: provided port is not in the valid range. The range of valid ports is ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}`,
        reason: 'FieldValueInvalid',
      });
    } else if (seen.has(p.nodePort)) {
      causes.push({ field, message: `Duplicate value: ${p.nodePort}`, reason: 'FieldValueDuplicate' });
    }
    seen.add(p.nodePort);
  });
  return causes;
}

/** Rules of a Job spec: restartPolicy OnFailure|Never, a selector (if manual) matching the template. */
export function jobCauses(spec: {
  selector?: LabelSelector;
  template: { metadata?: { labels?: Record<string, string> }; spec: PodSpec };
}): FieldCause[] {
  const causes = podSpecCauses(spec.template.spec, 'spec.template.spec');
  const policy = spec.template.spec.restartPolicy;
  if (policy === 'Always')
    causes.push({
      field: 'spec.template.spec.restartPolicy',
      message: 'Unsupported value: "Always": supported values: "OnFailure", "Never"',
      reason: 'FieldValueNotSupported',
    });
  if (spec.selector) {
    const sel = fromLabelSelector(spec.selector) ?? [];
    if (!matchesLabels(sel, spec.template.metadata?.labels))
      causes.push({
        field: 'spec.template.metadata.labels',
        message: '`selector` does not match template `labels`',
        reason: 'FieldValueInvalid',
      });
  }
  return causes;
}

/** An image written as a file path (`./x.wasm`, `../x.wasm`, `/opt/x.wasm`, `~/x.wasm`). */
const LOCAL_PATH = /^(?:\.{1,2}\/|\/|~\/)/;

/**
 * Admission of a pod spec's images (`spec` of a Pod, `spec.template.spec` of a workload at `path`):
 * one written as a local file path is refused, since a node could never pull it (edgectl uploads such
 * files and writes their reference; kubectl or curl send the path). Only a new or changed image is
 * judged: an object stored with one before this rule can still be scaled, relabelled and deleted.
 */
export function admitImages(kind: string, name: string, path: string, spec: PodSpec, before?: PodSpec): void {
  const causes: FieldCause[] = [];
  spec.containers.forEach((c, i) => {
    if (!LOCAL_PATH.test(c.image)) return;
    if (before?.containers.some((b) => b.name === c.name && b.image === c.image)) return;
    causes.push({
      field: `${path}.containers[${i}].image`,
      message:
        `Invalid value: "${c.image}": a local file path, not an image reference: ` +
        '`edgectl apply` uploads local .wasm files to the hub (kubectl does not); ' +
        'use edgectl, or a registry or edgeplane.hub/… reference',
      reason: 'FieldValueInvalid',
    });
  });
  if (causes.length > 0) throw new InvalidError(kind, name, causes);
}
