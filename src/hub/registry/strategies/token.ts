/**
 * Tokens (`auth.edgeplane.io/v1`): a token is either a bootstrap token or a user's; its secret digest
 * is the hub's and never changes after create; nothing of `status` is stored (the secret is only in
 * the create response).
 */
import type { FieldCause, KubeObject, TokenSpec } from '../../../api/index.js';
import type { KindRules } from './strategy.js';

const specOf = (o: KubeObject): TokenSpec => o.spec ?? {};

/** The rules of `auth.edgeplane.io/v1 Token`. */
export const tokenStrategy: KindRules = {
  // The secret must never be stored, whatever a client sends.
  applyDefaults: (obj) => {
    const stored = { ...obj };
    delete stored.status;
    return stored;
  },
  prepareForUpdate: (cur, body) => {
    const spec = (body.spec ?? {}) as TokenSpec;
    return { ...body, spec: { ...spec, secretHash: specOf(cur).secretHash } };
  },
  validate: (obj) => {
    const s = specOf(obj);
    const causes: FieldCause[] = [];
    const bootstrap = (s.usages ?? []).includes('bootstrap');
    if (bootstrap && (s.user !== undefined || (s.groups ?? []).length > 0))
      causes.push({
        field: 'spec.user',
        message: 'a bootstrap token authenticates no user: give usages [bootstrap] or user/groups, not both',
        reason: 'FieldValueInvalid',
      });
    if (!bootstrap && s.user === undefined)
      causes.push({
        field: 'spec.user',
        message: 'Required value: a token is for a user, or usages [bootstrap]',
        reason: 'FieldValueRequired',
      });
    if (s.secretHash === undefined || !/^sha256:[0-9a-f]{64}$/.test(s.secretHash))
      causes.push({
        field: 'spec.secretHash',
        message: 'set by the hub when it issues the token',
        reason: 'FieldValueRequired',
      });
    return causes;
  },
};
