/**
 * Reading a `Status` a client received back into an EdgeError. Written without zod (status.ts holds
 * the schema the hub writes with): every error edgectl prints passes here, and loading zod for it
 * would double the CLI's start-up time.
 */
import { EdgeError, ExpiredError, StatusReason, type FieldCause } from './errors.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const optStr = (v: unknown): boolean => v === undefined || typeof v === 'string';

function isCause(v: unknown): v is FieldCause {
  return isObject(v) && typeof v['field'] === 'string' && typeof v['message'] === 'string' && optStr(v['reason']);
}

/** `details` as the Status schema has it, or undefined when it has another shape. */
function readDetails(v: unknown): { name?: string; kind?: string; causes?: FieldCause[] } | undefined {
  if (!isObject(v)) return undefined;
  if (!optStr(v['name']) || !optStr(v['kind']) || !optStr(v['group'])) return undefined;
  const causes = v['causes'];
  if (causes !== undefined && !(Array.isArray(causes) && causes.every(isCause))) return undefined;
  return {
    ...(v['name'] !== undefined ? { name: v['name'] as string } : {}),
    ...(v['kind'] !== undefined ? { kind: v['kind'] as string } : {}),
    ...(causes !== undefined ? { causes: causes.map((c) => ({ ...c })) } : {}),
  };
}

/**
 * Turns a Status received by a client back into an EdgeError of the right code. Each field is read on
 * its own, so a partial or foreign body (a proxy's JSON) still gives what it has; a field of the wrong
 * type counts as absent.
 */
export function fromStatus(body: unknown, httpStatus: number): EdgeError {
  const s = isObject(body) ? body : {};
  const message = str(s['message']);
  const reasonText = str(s['reason']);
  const code = typeof s['code'] === 'number' && Number.isInteger(s['code']) ? s['code'] : undefined;
  const details = readDetails(s['details']);
  const reason = (Object.values(StatusReason) as string[]).includes(reasonText ?? '')
    ? (reasonText as StatusReason)
    : StatusReason.InternalError;
  if (reason === StatusReason.Expired) {
    const meta = s['metadata'];
    return new ExpiredError(message ?? `HTTP ${httpStatus}`, isObject(meta) ? str(meta['continue']) : undefined);
  }
  return new EdgeError(reason, code ?? httpStatus, message ?? `HTTP ${httpStatus}`, {
    causes: details?.causes ?? [],
    details: details ? { name: details.name, kind: details.kind } : undefined,
    retryable: httpStatus === 409 || httpStatus >= 500,
  });
}
