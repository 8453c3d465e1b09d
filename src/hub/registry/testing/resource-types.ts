/** The resource types the registry's tests write, looked up as the API serves them. Tests only. */
import { typeByKind, type ResourceType } from '../../../api/index.js';

/** The served type of `kind` in `apiVersion`; throws on one the API does not serve (a typo). */
function served(apiVersion: string, kind: string): ResourceType {
  const t = typeByKind(apiVersion, kind);
  if (!t) throw new Error(kind);
  return t;
}

export const POD = served('v1', 'Pod');
export const NS = served('v1', 'Namespace');
export const SVC = served('v1', 'Service');
export const DEPLOY = served('apps/v1', 'Deployment');
export const RS = served('apps/v1', 'ReplicaSet');
