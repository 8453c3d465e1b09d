/**
 * Node restriction for the API (Kubernetes' Node authorizer, for what a node reaches over HTTP): a node
 * may read only the blobs its own pods' images name, and get (or list/watch by name) only the
 * ConfigMaps and Secrets its own pods reference; it writes neither, and nothing else. Everything else a node does goes
 * over its gateway session, which speaks for its own Node and its own pods only (`src/hub/gateway`:
 * status, pods let go, Events, log and exec answers are taken only for pods bound to the session's node).
 */
import type { Pod } from '../../api/index.js';
import { BLOB_PATH, BLOB_SOURCES_SUFFIX, parseHubImageRef } from '../../api/index.js';
import { podConfigRefs } from '../config/index.js';
import type { Decision, RequestAttributes } from './authorize.js';
import type { Principal } from './principal.js';

/** What node restriction reads: the pods bound to a node (the hub's pod cache). */
export interface NodeRestrictionDeps {
  podsOnNode(node: string): readonly Pod[];
}

/** The digests of the hub-stored images `pod`'s containers run. */
export function hubBlobsOf(pod: Pod): string[] {
  const out: string[] = [];
  for (const c of pod.spec.containers) {
    const ref = parseHubImageRef(c.image);
    if (ref) out.push(ref.digest);
  }
  return out;
}

/**
 * The digest a request reads from the content store (`GET {BLOB_PATH}/<digest>`), if that is what it is.
 * Asking which peers hold it (`…/<digest>/sources`) counts as reading it: a node learns of the holders
 * of a blob only when it may read the blob.
 */
export function blobRead(what: RequestAttributes): string | undefined {
  const prefix = `${BLOB_PATH}/`;
  if (what.kind !== 'nonResource' || what.verb !== 'get' || !what.path.startsWith(prefix)) return undefined;
  const rest = what.path.slice(prefix.length);
  return rest.endsWith(BLOB_SOURCES_SUFFIX) ? rest.slice(0, -BLOB_SOURCES_SUFFIX.length) : rest;
}

const CONFIG_RESOURCES: Record<string, 'ConfigMap' | 'Secret'> = { configmaps: 'ConfigMap', secrets: 'Secret' };
const CONFIG_READ_VERBS = new Set(['get', 'list', 'watch']);

/** A node's request for a ConfigMap or Secret, worded as Kubernetes' Node authorizer answers it. */
function configDecision(deps: NodeRestrictionDeps, node: string, what: RequestAttributes): Decision | undefined {
  if (what.kind !== 'resource' || what.group !== '' || what.subresource !== undefined) return undefined;
  const kind = CONFIG_RESOURCES[what.resource];
  if (kind === undefined) return undefined;
  if (!CONFIG_READ_VERBS.has(what.verb) || what.name === undefined || what.namespace === undefined)
    return { allowed: false, reason: 'can only get individual resources of this type' };
  // Linear in the node's pods (a handful on an edge device).
  for (const pod of deps.podsOnNode(node)) {
    if ((pod.metadata.namespace ?? 'default') !== what.namespace) continue;
    if (podConfigRefs(pod.spec).some((r) => r.kind === kind && r.name === what.name)) return { allowed: true };
  }
  return { allowed: false, reason: `no relationship found between node '${node}' and this object` };
}

/** Decides the API requests of node principals (see the file comment). */
export function nodeRestriction(deps: NodeRestrictionDeps): (who: Principal, what: RequestAttributes) => Decision {
  return (who, what) => {
    const node = who.kind === 'node' ? who.name : undefined;
    if (node === undefined) return { allowed: false, reason: 'a node credential without a node name' };
    const config = configDecision(deps, node, what);
    if (config !== undefined) return config;
    const digest = blobRead(what);
    if (digest === undefined)
      return { allowed: false, reason: `node "${node}" may only read the blobs of its own pods` };
    // Linear in the node's pods (a handful on an edge device); the blob is fetched once per image.
    for (const pod of deps.podsOnNode(node)) if (hubBlobsOf(pod).includes(digest)) return { allowed: true };
    return { allowed: false, reason: `no pod bound to node "${node}" runs this blob` };
  };
}
