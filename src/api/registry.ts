/**
 * The resource kinds the API serves: their names (kinds.ts) with their schemas. Generic code (API
 * routes, store keys, edgectl) looks kinds up here instead of switching on names.
 */
import type { z } from 'zod';
import { ConfigMap, Secret } from './config.js';
import { Event } from './event.js';
import { RESOURCE_KINDS, findByKind, findByName, findByPlural, type ResourceKind } from './kinds.js';
import { Namespace } from './namespace.js';
import { Node } from './node.js';
import { Pod } from './pod.js';
import { Token } from './token.js';
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from './rbac.js';
import { Endpoints, Service } from './service.js';
import { DaemonSet, Deployment, Job, ReplicaSet } from './workloads.js';
import { HorizontalPodAutoscaler } from './autoscaling.js';
import { Gateway, HTTPRoute } from './gateway.js';
import { GatewayClass, ReferenceGrant } from './gateway-class.js';
import { Canary } from './canary.js';

export {
  COMPONENT_STATUS_KIND,
  RBAC_GROUP,
  TOKEN_GROUP,
  apiVersionOf,
  resourcePath,
  type ResourceKind,
} from './kinds.js';

/** Describes one served kind: its names and its schema. */
export interface ResourceType extends ResourceKind {
  schema: z.ZodType;
}

const SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  Namespace,
  Node,
  Service,
  Endpoints,
  ConfigMap,
  Secret,
  Deployment,
  DaemonSet,
  Job,
  ReplicaSet,
  HorizontalPodAutoscaler,
  GatewayClass,
  ReferenceGrant,
  Gateway,
  HTTPRoute,
  Canary,
  Pod,
  Event,
  ClusterRole,
  ClusterRoleBinding,
  Role,
  RoleBinding,
  Token,
};

/**
 * Every kind the hub serves, in the order `edgectl apply` creates them (namespaces first). Each entry
 * is its `RESOURCE_KINDS` object with the schema added, not a copy: code holding a kind found through
 * kinds.ts (edgectl) and code holding one found here compare and index the same objects.
 */
export const RESOURCE_TYPES: readonly ResourceType[] = RESOURCE_KINDS.map((k) => {
  const schema = SCHEMAS[k.kind];
  if (!schema) throw new Error(`no schema for kind ${k.kind}`);
  return Object.assign(k, { schema });
});

/** Finds a kind by apiVersion + kind (`apps/v1`, `Deployment`). */
export function typeByKind(apiVersion: string, kind: string): ResourceType | undefined {
  return findByKind(RESOURCE_TYPES, apiVersion, kind);
}

/** Finds a kind by URL group/version/plural. */
export function typeByPlural(group: string, version: string, plural: string): ResourceType | undefined {
  return findByPlural(RESOURCE_TYPES, group, version, plural);
}

/** Finds a kind by any name a user may type: plural, singular, short name or Kind (case-insensitive). */
export function typeByName(name: string): ResourceType | undefined {
  return findByName(RESOURCE_TYPES, name);
}
