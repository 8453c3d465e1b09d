/**
 * Field ownership per manager, as Kubernetes' field manager keeps it in `metadata.managedFields`:
 * - an *Update* (create, update, any patch but apply) gives its manager the fields whose value it
 *   set or changed, and takes them from every other manager;
 * - an *Apply* (server-side apply) makes its manager own exactly the fields of its configuration;
 *   a field another manager owns with a different value is a conflict (409 naming field and
 *   manager) unless forced, which moves ownership; a field the applier owned before, left out now
 *   and owned by no one else, is removed from the object.
 * Sets are computed from the objects with `src/api`'s patch metadata, so they match what strategic
 * merge patch treats as one field.
 */
import { isDeepStrictEqual } from 'node:util';
import {
  EdgeError,
  StatusReason,
  apiVersionOf,
  patchMetaOf,
  type KubeObject,
  type ManagedFieldsEntry,
  type PatchNode,
  type ResourceType,
} from '../../../api/index.js';
import {
  describePath,
  fieldsOf,
  fromFieldsV1,
  isMissing,
  removeAt,
  toFieldsV1,
  valueAt,
  type FieldSet,
} from './field-set.js';
import { mergeApplied } from './apply-merge.js';

/** A manager's entry, decoded. */
interface Owner {
  entry: ManagedFieldsEntry;
  set: FieldSet;
}

/** 409 of a server-side apply whose fields other managers own with other values (reason Conflict). */
export class ApplyConflictError extends EdgeError {
  constructor(type: ResourceType, name: string, conflicts: { field: string; manager: string }[]) {
    const lines = conflicts.map((c) => `conflict with "${c.manager}" using ${apiVersionOf(type)}: ${c.field}`);
    const n = conflicts.length;
    const message =
      n === 1 ? `Apply failed with 1 conflict: ${lines[0]}` : `Apply failed with ${n} conflicts: ${lines.join('\n')}`;
    super(StatusReason.Conflict, 409, message, {
      details: { name, kind: type.plural, group: type.group },
      causes: conflicts.map((c) => ({
        reason: 'FieldManagerConflict',
        message: `conflict with "${c.manager}" using ${apiVersionOf(type)}`,
        field: c.field,
      })),
    });
  }
}

const decode = (entries: ManagedFieldsEntry[] | undefined): Owner[] =>
  (entries ?? []).map((entry) => ({ entry, set: fromFieldsV1(entry.fieldsV1) }));

function encode(owners: Owner[]): ManagedFieldsEntry[] | undefined {
  const out = owners
    .filter((o) => o.set.size > 0)
    .map((o) => ({ ...o.entry, fieldsType: 'FieldsV1' as const, fieldsV1: toFieldsV1(o.set) }));
  return out.length > 0 ? out : undefined;
}

const sameOwner = (a: ManagedFieldsEntry, manager: string, op: 'Apply' | 'Update', sub?: string): boolean =>
  a.manager === manager && a.operation === op && (a.subresource ?? '') === (sub ?? '');

/** Keeps only paths still present in `obj` (a removed field is owned by no one). */
function prune(owners: Owner[], obj: KubeObject, meta: PatchNode): void {
  for (const o of owners) for (const p of [...o.set]) if (isMissing(valueAt(obj, p, meta))) o.set.delete(p);
}

/** Options of a recorded write. */
export interface ManagerWrite {
  manager: string;
  /** `status` for writes through the status subresource. */
  subresource?: string;
  time: string;
}

/**
 * The managedFields after an Update by `w.manager` from `cur` (absent on create) to `next`. A
 * client that sent its own non-empty managedFields replaces the recorded ones, as in Kubernetes.
 */
export function recordUpdate(
  type: ResourceType,
  cur: KubeObject | undefined,
  next: KubeObject,
  sent: ManagedFieldsEntry[] | undefined,
  w: ManagerWrite,
): ManagedFieldsEntry[] | undefined {
  const meta = patchMetaOf(type.kind);
  const owners = decode(sent !== undefined && sent.length > 0 ? sent : cur?.metadata.managedFields);
  const changed = new Set(
    [...fieldsOf(w.subresource === 'status' ? { status: next.status } : next, meta)].filter((p) => {
      const before = cur === undefined ? undefined : valueAt(cur, p, meta);
      return cur === undefined || isMissing(before) || !isDeepStrictEqual(before, valueAt(next, p, meta));
    }),
  );
  if (w.subresource === 'status') for (const p of [...changed]) if (!p.startsWith('["f:status"')) changed.delete(p);
  let mine = owners.find((o) => sameOwner(o.entry, w.manager, 'Update', w.subresource));
  for (const o of owners) if (o !== mine) for (const p of changed) o.set.delete(p);
  if (changed.size > 0) {
    if (!mine) {
      mine = {
        entry: {
          manager: w.manager,
          operation: 'Update',
          apiVersion: apiVersionOf(type),
          fieldsType: 'FieldsV1',
          fieldsV1: {},
          ...(w.subresource ? { subresource: w.subresource } : {}),
        },
        set: new Set(),
      };
      owners.push(mine);
    }
    for (const p of changed) mine.set.add(p);
    mine.entry = { ...mine.entry, time: w.time };
  }
  prune(owners, next, meta);
  return encode(owners);
}

/** What a server-side apply results in: the object to write and its managedFields. */
export interface ApplyResult {
  object: KubeObject;
  managedFields: ManagedFieldsEntry[] | undefined;
}

/**
 * Server-side apply of `applied` by `w.manager` onto `cur` (undefined: create). Throws
 * ApplyConflictError unless `force`.
 */
export function applyConfiguration(
  type: ResourceType,
  cur: KubeObject | undefined,
  applied: KubeObject,
  w: ManagerWrite,
  force: boolean,
): ApplyResult {
  const meta = patchMetaOf(type.kind);
  const appliedSet = fieldsOf(applied, meta);
  const owners = decode(cur?.metadata.managedFields);
  let mine = owners.find((o) => sameOwner(o.entry, w.manager, 'Apply'));
  const conflicts: { field: string; manager: string; path: string; owner: Owner }[] = [];
  if (cur !== undefined) {
    for (const o of owners) {
      if (o === mine) continue;
      for (const p of appliedSet) {
        if (!o.set.has(p) || p.endsWith('"."]')) continue;
        const live = valueAt(cur, p, meta);
        if (!isMissing(live) && isDeepStrictEqual(live, valueAt(applied, p, meta))) continue;
        conflicts.push({ field: describePath(p), manager: o.entry.manager, path: p, owner: o });
      }
    }
  }
  if (conflicts.length > 0 && !force)
    throw new ApplyConflictError(
      type,
      applied.metadata.name ?? '',
      conflicts.map(({ field, manager }) => ({ field, manager })),
    );
  for (const c of conflicts) c.owner.set.delete(c.path);

  const before = mine?.set ?? new Set<string>();
  const others = new Set(owners.filter((o) => o !== mine).flatMap((o) => [...o.set]));
  const base = structuredClone<KubeObject>(cur ?? { apiVersion: applied.apiVersion, kind: applied.kind, metadata: {} });
  // Shallowest first: a whole element or map goes before its fields (which are then already gone),
  // so a keyed element is found by its keys before they are removed.
  const dropped = [...before].filter((p) => !appliedSet.has(p) && !others.has(p)).sort((a, b) => a.length - b.length);
  for (const p of dropped) {
    // A node goes only when nothing under it is still owned.
    if (p.endsWith('"."]')) {
      const prefix = p.slice(0, -'"."]'.length);
      if ([...appliedSet, ...others].some((q) => q.startsWith(prefix))) continue;
    }
    removeAt(base, p, meta);
  }
  const object = mergeApplied(base, applied, meta);
  if (!mine) {
    mine = {
      entry: {
        manager: w.manager,
        operation: 'Apply',
        apiVersion: apiVersionOf(type),
        fieldsType: 'FieldsV1',
        fieldsV1: {},
      },
      set: new Set(),
    };
    owners.push(mine);
  }
  // The time moves only when the set does, so a re-apply of the same configuration writes nothing.
  const same = mine.set.size === appliedSet.size && [...appliedSet].every((p) => mine?.set.has(p));
  mine.set = appliedSet;
  if (!same || mine.entry.apiVersion !== apiVersionOf(type))
    mine.entry = { ...mine.entry, apiVersion: apiVersionOf(type), time: w.time };
  prune(owners, object, meta);
  return { object, managedFields: encode(owners) };
}
