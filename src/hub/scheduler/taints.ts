/** Taints and tolerations, matched as Kubernetes matches them (scheduler, DaemonSets, taint eviction). */
import type { Taint, Toleration } from '../../api/index.js';

/** The first of `tolerations` that tolerates `taint`, if any. */
export function tolerationFor(tolerations: readonly Toleration[], taint: Taint): Toleration | undefined {
  return tolerations.find(
    (t) =>
      (t.effect === undefined || t.effect === taint.effect) &&
      (t.operator === 'Exists'
        ? t.key === undefined || t.key === taint.key
        : t.key === taint.key && (t.value ?? '') === (taint.value ?? '')),
  );
}

/** Whether any of `tolerations` tolerates `taint`. */
export function tolerates(tolerations: readonly Toleration[], taint: Taint): boolean {
  return tolerationFor(tolerations, taint) !== undefined;
}
