/**
 * The `authorization.k8s.io/v1` reviews, answered and never stored (as in Kubernetes), in JSON or
 * Kubernetes protobuf (kubectl sends protobuf): `SelfSubjectAccessReview` (may I?),
 * `SelfSubjectRulesReview` (what may I, in a namespace? `kubectl auth can-i --list`),
 * `SubjectAccessReview` (may this user?) and `LocalSubjectAccessReview` (the same, in the URL's
 * namespace), and `authentication.k8s.io/v1 SelfSubjectReview` (who am I? `kubectl auth whoami`:
 * the caller as the request is decided, after impersonation). Who may create which review is decided
 * before, by the authorizer, as for any create.
 */
import type { Context, Hono } from 'hono';
import type { z } from 'zod';
import {
  AUTHENTICATION_GROUP,
  AUTHORIZATION_GROUP,
  BadRequestError,
  InvalidError,
  LocalSubjectAccessReview,
  SelfSubjectAccessReview,
  SelfSubjectReview,
  SelfSubjectRulesReview,
  SubjectAccessReview,
  UnsupportedMediaTypeError,
  issuesToCauses,
  type UserInfo,
} from '../../api/index.js';
import {
  principalName,
  userInfoOf,
  type Authorizer,
  type Principal,
  type RequestAttributes,
  type RbacPolicy,
} from '../auth/index.js';
import { mediaType, parseJson, readBytes } from './body.js';
import { PROTOBUF_MEDIA_TYPE, decodeObject, encodeObject } from './protobuf/index.js';
import { rulesReviewStatus } from './rules-review.js';
import type { ApiEnv } from './types.js';

const BASE = `/apis/${AUTHORIZATION_GROUP}/v1`;
/** The path the SelfSubjectAccessReview is served at. */
export const SELF_SUBJECT_ACCESS_REVIEW_PATH = `${BASE}/selfsubjectaccessreviews`;

/** What the review routes decide with. */
export interface AccessReviewDeps {
  authorize: Authorizer;
  /** The RBAC policy, for the rules of a SelfSubjectRulesReview (absent: its answer is incomplete). */
  policy: RbacPolicy | undefined;
  maxBody: number;
}

type Spec = SelfSubjectAccessReview['spec'];

function attributesOf(spec: Spec, namespace?: string): RequestAttributes {
  const ra = spec.resourceAttributes;
  if (ra) {
    const ns = namespace ?? ra.namespace;
    return {
      kind: 'resource',
      verb: ra.verb ?? '',
      group: ra.group ?? '',
      resource: ra.resource ?? '',
      ...(ra.subresource ? { subresource: ra.subresource } : {}),
      ...(ns ? { namespace: ns } : {}),
      ...(ra.name ? { name: ra.name } : {}),
    };
  }
  const nra = spec.nonResourceAttributes ?? {};
  return { kind: 'nonResource', verb: nra.verb ?? '', path: nra.path ?? '' };
}

/** Reads a review body, JSON or protobuf, and checks it against `schema`. */
async function readReview<T>(c: Context<ApiEnv>, schema: z.ZodType<T>, kind: string, maxBody: number): Promise<T> {
  const type = mediaType(c);
  const bytes = await readBytes(c, maxBody);
  let body: unknown;
  if (type === PROTOBUF_MEDIA_TYPE) body = decodeObject(bytes, [kind]);
  else if (type === '' || type === 'application/json') body = parseJson(bytes);
  else
    throw new UnsupportedMediaTypeError(
      `the body of the request was in an unsupported media type "${type.slice(0, 128)}" (expected application/json or ${PROTOBUF_MEDIA_TYPE})`,
    );
  // `status` is the answer: what a client sends there is ignored (kubectl sends an empty one).
  if (typeof body === 'object' && body !== null && 'status' in body) delete (body as { status?: unknown }).status;
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new InvalidError(kind, '', issuesToCauses(parsed.error.issues));
  return parsed.data;
}

/** Answers 201 with `answer`, in protobuf when the caller asks for it first (as kubectl does). */
function respond(c: Context<ApiEnv>, answer: { apiVersion: string; kind: string }): Response {
  const accept = (c.req.header('accept') ?? '').split(',')[0]?.split(';')[0]?.trim().toLowerCase();
  if (accept === PROTOBUF_MEDIA_TYPE)
    return new Response(encodeObject(answer), {
      status: 201,
      headers: { 'content-type': PROTOBUF_MEDIA_TYPE },
    });
  return c.json(answer, 201);
}

/** A review's answer: its spec echoed, the decision as status, metadata as Kubernetes returns it. */
function decided<T extends { spec: Spec }>(review: T, who: Principal, deps: AccessReviewDeps, ns?: string): T {
  const decision = deps.authorize(who, attributesOf(review.spec, ns));
  return {
    ...review,
    metadata: { creationTimestamp: null },
    status: { allowed: decision.allowed, ...(decision.reason ? { reason: decision.reason } : {}) },
  };
}

/** Mounts the four review endpoints on `app` (before the generic resource routes). */
export function mountAccessReviewRoutes(app: Hono<ApiEnv>, deps: AccessReviewDeps): void {
  app.post(SELF_SUBJECT_ACCESS_REVIEW_PATH, async (c) => {
    const review = await readReview(c, SelfSubjectAccessReview, 'SelfSubjectAccessReview', deps.maxBody);
    return respond(c, decided(review, c.var.principal, deps));
  });

  app.post(`${BASE}/selfsubjectrulesreviews`, async (c) => {
    const review = await readReview(c, SelfSubjectRulesReview, 'SelfSubjectRulesReview', deps.maxBody);
    const status = rulesReviewStatus(deps.policy, c.var.principal, review.spec.namespace ?? '');
    const answer: SelfSubjectRulesReview = { ...review, metadata: { creationTimestamp: null }, status };
    return respond(c, answer);
  });

  app.post(`/apis/${AUTHENTICATION_GROUP}/v1/selfsubjectreviews`, async (c) => {
    const review = await readReview(c, SelfSubjectReview, 'SelfSubjectReview', deps.maxBody);
    const answer: SelfSubjectReview = {
      ...review,
      metadata: { creationTimestamp: null },
      status: { userInfo: userInfoAnswer(c.var.principal) },
    };
    return respond(c, answer);
  });

  app.post(`${BASE}/subjectaccessreviews`, async (c) => {
    const review = await readReview(c, SubjectAccessReview, 'SubjectAccessReview', deps.maxBody);
    return respond(c, decided(review, subjectOf(review.spec), deps));
  });

  app.post(`${BASE}/namespaces/:namespace/localsubjectaccessreviews`, async (c) => {
    const review = await readReview(c, LocalSubjectAccessReview, 'LocalSubjectAccessReview', deps.maxBody);
    const namespace = c.req.param('namespace');
    const asked = review.spec.resourceAttributes?.namespace;
    // As Kubernetes: the review's namespace must be the URL's (or left empty).
    if (review.spec.resourceAttributes === undefined || (asked !== undefined && asked !== '' && asked !== namespace))
      throw new BadRequestError(
        `spec.resourceAttributes.namespace must match the namespace of the request (${JSON.stringify(namespace)})`,
      );
    return respond(c, decided(review, subjectOf(review.spec), deps, namespace));
  });
}

/** The user a SubjectAccessReview names, with exactly the groups it names (as Kubernetes asks RBAC). */
function subjectOf(spec: SubjectAccessReview['spec']): Principal {
  return { kind: 'user', name: spec.user ?? '', groups: spec.groups ?? [] };
}

/** The caller as a SelfSubjectReview answers it (a node by its Kubernetes name, in `system:nodes`). */
function userInfoAnswer(who: Principal): UserInfo {
  const info = userInfoOf(who);
  if (!info) return { username: principalName(who), groups: ['system:nodes', 'system:authenticated'] };
  return {
    username: info.name,
    ...(who.kind === 'user' && who.uid !== undefined ? { uid: who.uid } : {}),
    groups: [...info.groups],
    ...(who.kind === 'user' && who.extra !== undefined
      ? { extra: Object.fromEntries(Object.entries(who.extra).map(([k, v]) => [k, [...v]])) }
      : {}),
  };
}
