/** Helpers for `status.conditions`, as every controller writes them. */
import type { Condition } from '../../api/index.js';

/**
 * Sets a condition in a list, keeping `lastTransitionTime` when the status does not change.
 * Returns a new array.
 */
export function setCondition(conds: readonly Condition[] | undefined, next: Condition, now: string): Condition[] {
  const list = [...(conds ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  const prev = i >= 0 ? list[i] : undefined;
  const merged: Condition = {
    ...next,
    lastTransitionTime: prev && prev.status === next.status ? (prev.lastTransitionTime ?? now) : now,
  };
  if (i >= 0) list[i] = merged;
  else list.push(merged);
  return list;
}

/** The condition of `type` in a list, if any. */
export function findCondition(conds: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conds?.find((c) => c.type === type);
}
