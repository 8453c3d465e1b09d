/**
 * Namespaces: start `Active`, carry valid Pod Security labels, and take their contents with them
 * when deleted; the `default` namespace may not be deleted.
 */
import { AlreadyExistsError, ForbiddenError, typeByKind } from '../../../api/index.js';
import { deleteNamespaceContents } from '../deletion.js';
import { namespaceLabelCauses } from '../pod-security.js';
import type { ObjectAPI } from '../types.js';
import type { KindRules, StrategyDeps, StrategyFor } from './strategy.js';

const PROTECTED_NAMESPACES = new Set(['default']);

/** The rules of `v1 Namespace`; deleting one deletes its contents by their kinds' rules (`strategyFor`). */
export function namespaceStrategy(deps: StrategyDeps, strategyFor: StrategyFor): KindRules {
  return {
    statusOnCreate: () => ({ phase: 'Active' }),
    validate: (obj) => namespaceLabelCauses(obj.metadata.labels),
    // Refuses a protected namespace; else deletes everything in it first.
    beforeDelete: async (name) => {
      if (PROTECTED_NAMESPACES.has(name))
        throw new ForbiddenError(`namespaces "${name}" is forbidden: this namespace may not be deleted`);
      await deleteNamespaceContents({ ...deps, strategyFor }, name);
    },
  };
}

/** Creates namespace `name` unless it exists (hub startup: `default`, `edge-system`). */
export async function ensureNamespace(api: ObjectAPI, name: string): Promise<void> {
  const ns = typeByKind('v1', 'Namespace');
  if (!ns) throw new Error('Namespace kind is not registered');
  try {
    await api.create(ns, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  } catch (err) {
    if (!(err instanceof AlreadyExistsError)) throw err;
  }
}
