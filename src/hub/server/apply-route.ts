/**
 * The write options of a request (`?dryRun=All`, `?fieldManager=`, the User-Agent's product as
 * the default manager, as kube-apiserver does) and server-side apply (`PATCH` with
 * `application/apply-patch+yaml`): the field manager's merge onto the live object, or a create
 * when there is none.
 */
import type { Context } from 'hono';
import {
  AlreadyExistsError,
  BadRequestError,
  ConflictError,
  EdgeError,
  StatusReason,
  rfc3339,
  type KubeObject,
  type ResourceType,
} from '../../api/index.js';
import { applyConfiguration, type ObjectAPI, type WriteOptions } from '../registry/index.js';

const MAX_MANAGER = 128;
const APPLY_RETRIES = 5;

/** `dryRun`, `fieldManager` and (apply only) `force` of a write request. */
export function writeOptions(c: Context): WriteOptions & { force: boolean; managerGiven: boolean } {
  const q = c.req.query();
  if (q.dryRun !== undefined && q.dryRun !== '' && q.dryRun !== 'All')
    throw new BadRequestError(`unsupported dry run value "${q.dryRun.slice(0, 32)}": the only value is "All"`);
  const given = q.fieldManager !== undefined && q.fieldManager !== '';
  const agent = (c.req.header('user-agent') ?? '').split('/')[0] ?? '';
  const manager = (given ? q.fieldManager : agent) ?? '';
  if (manager.length > MAX_MANAGER || /[^\x20-\x7e]/.test(manager))
    throw new BadRequestError(`fieldManager must be at most ${MAX_MANAGER} printable characters`);
  if (q.force !== undefined && q.force !== 'true' && q.force !== 'false')
    throw new BadRequestError(`invalid force "${q.force.slice(0, 32)}": must be true or false`);
  return {
    dryRun: q.dryRun === 'All',
    fieldManager: manager === '' ? 'unknown' : manager,
    force: q.force === 'true',
    managerGiven: given,
  };
}

/** What server-side apply did. */
export interface ApplyOutcome {
  object: KubeObject;
  created: boolean;
}

/**
 * Applies `applied` (already bound to the URL's identity) for its manager: creates the object when
 * absent, else merges it by field ownership. A concurrent write retries; a resourceVersion the
 * applier named is a precondition.
 */
export async function serverSideApply(
  api: ObjectAPI,
  type: ResourceType,
  namespace: string | undefined,
  applied: KubeObject,
  opts: ReturnType<typeof writeOptions>,
): Promise<ApplyOutcome> {
  if (!opts.managerGiven)
    throw new BadRequestError('fieldManager is required for apply requests (PATCH with application/apply-patch+yaml)');
  if (applied.metadata.managedFields !== undefined)
    throw new BadRequestError('metadata.managedFields must be nil in an applied configuration', [
      { field: 'metadata.managedFields', message: 'Forbidden: must be nil', reason: 'FieldValueForbidden' },
    ]);
  const name = applied.metadata.name ?? '';
  const w = { manager: opts.fieldManager ?? 'unknown', time: rfc3339(Date.now()) };
  for (let attempt = 0; ; attempt++) {
    let cur: KubeObject | undefined;
    try {
      cur = await api.get(type, namespace, name);
    } catch (err) {
      if (!(err instanceof EdgeError && err.code === StatusReason.NotFound)) throw err;
    }
    const result = applyConfiguration(type, cur, applied, w, opts.force);
    const write = { dryRun: opts.dryRun === true, applied: { managedFields: result.managedFields } };
    try {
      if (cur === undefined) return { object: await api.create(type, result.object, write), created: true };
      // Pinned to the revision the merge was computed from: a write in between is retried.
      const pinned = applied.metadata.resourceVersion ?? cur.metadata.resourceVersion;
      const body = { ...result.object, metadata: { ...result.object.metadata, resourceVersion: pinned } };
      return { object: await api.update(type, body, write), created: false };
    } catch (err) {
      const raced =
        (err instanceof AlreadyExistsError && cur === undefined) ||
        (err instanceof ConflictError && applied.metadata.resourceVersion === undefined);
      if (!raced || attempt >= APPLY_RETRIES) throw err;
    }
  }
}
