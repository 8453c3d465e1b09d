/**
 * `POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews`: may I do this? Answered by the same
 * authorizer that decides requests, for the caller itself; nothing is stored (as in Kubernetes).
 */
import type { Context } from 'hono';
import { InvalidError, SelfSubjectAccessReview, issuesToCauses } from '../../api/index.js';
import type { Authorizer, RequestAttributes } from '../auth/index.js';
import { readJson } from './body.js';
import type { ApiEnv } from './types.js';

/** The path the review is served at. */
export const SELF_SUBJECT_ACCESS_REVIEW_PATH = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

function attributesOf(spec: SelfSubjectAccessReview['spec']): RequestAttributes {
  const ra = spec.resourceAttributes;
  if (ra)
    return {
      kind: 'resource',
      verb: ra.verb ?? '',
      group: ra.group ?? '',
      resource: ra.resource ?? '',
      ...(ra.subresource ? { subresource: ra.subresource } : {}),
      ...(ra.namespace ? { namespace: ra.namespace } : {}),
      ...(ra.name ? { name: ra.name } : {}),
    };
  const nra = spec.nonResourceAttributes ?? {};
  return { kind: 'nonResource', verb: nra.verb ?? '', path: nra.path ?? '' };
}

/** Answers a SelfSubjectAccessReview for the authenticated caller. */
export async function selfSubjectAccessReview(
  c: Context<ApiEnv>,
  authorize: Authorizer,
  maxBody: number,
): Promise<Response> {
  const parsed = SelfSubjectAccessReview.safeParse(await readJson(c, maxBody));
  if (!parsed.success) throw new InvalidError('SelfSubjectAccessReview', '', issuesToCauses(parsed.error.issues));
  const review = parsed.data;
  const decision = authorize(c.var.principal, attributesOf(review.spec));
  const answer: SelfSubjectAccessReview = {
    ...review,
    metadata: { creationTimestamp: null },
    status: { allowed: decision.allowed, ...(decision.reason ? { reason: decision.reason } : {}) },
  };
  return c.json(answer, 201);
}
