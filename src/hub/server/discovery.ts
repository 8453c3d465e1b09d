/** API discovery documents (`/api`, `/apis`, `/api/v1`, `/apis/apps/v1`), as kubectl expects them. */
import {
  AUTHORIZATION_GROUP,
  METRICS_GROUP,
  METRICS_RESOURCES,
  METRICS_VERSION,
  NotFoundError,
  RESOURCE_TYPES,
  apiVersionOf,
} from '../../api/index.js';

/** Kinds that are answered, never stored (not in the registry): access reviews (create) and metrics (read). */
const review = (kind: string, namespaced = false) => ({
  group: AUTHORIZATION_GROUP,
  version: 'v1',
  resource: {
    name: `${kind.toLowerCase()}s`,
    singularName: kind.toLowerCase(),
    namespaced,
    kind,
    verbs: ['create'],
  },
});
const REVIEW_RESOURCES = [
  review('SelfSubjectAccessReview'),
  review('SelfSubjectRulesReview'),
  review('SubjectAccessReview'),
  review('LocalSubjectAccessReview', true),
  // Read-only kinds answered from the nodes' usage (metrics-server's group).
  ...METRICS_RESOURCES.map((resource) => ({ group: METRICS_GROUP, version: METRICS_VERSION, resource })),
];

const READ = ['get', 'list', 'watch'];
const ALL = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

/** `GET /api`. */
export function apiVersions(): unknown {
  return { kind: 'APIVersions', apiVersion: 'v1', versions: ['v1'], serverAddressByClientCIDRs: [] };
}

/** `GET /apis`. */
export function apiGroupList(): unknown {
  const groups = new Map<string, string[]>();
  for (const t of [...RESOURCE_TYPES, ...REVIEW_RESOURCES]) {
    if (t.group === '') continue;
    const versions = groups.get(t.group) ?? [];
    if (!versions.includes(t.version)) versions.push(t.version);
    groups.set(t.group, versions);
  }
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups].map(([name, versions]) => ({
      name,
      versions: versions.map((version) => ({ groupVersion: `${name}/${version}`, version })),
      preferredVersion: { groupVersion: `${name}/${versions[0] ?? ''}`, version: versions[0] ?? '' },
    })),
  };
}

/** `GET /api/v1`, `GET /apis/{group}/{version}`. */
export function apiResourceList(group: string, version: string): unknown {
  const types = RESOURCE_TYPES.filter((t) => t.group === group && t.version === version);
  const reviews = REVIEW_RESOURCES.filter((r) => r.group === group && r.version === version).map((r) => r.resource);
  if (reviews.length > 0)
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: `${group}/${version}`, resources: reviews };
  if (types.length === 0) throw new NotFoundError('', '', 'the server could not find the requested resource');
  const resources: unknown[] = [];
  for (const t of types) {
    resources.push({
      name: t.plural,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: ALL,
      shortNames: [...t.shortNames],
    });
    if (t.hasStatus)
      resources.push({
        name: `${t.plural}/status`,
        singularName: '',
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: ['get', 'patch', 'update'],
      });
    if (t.hasScale)
      resources.push({
        name: `${t.plural}/scale`,
        singularName: '',
        namespaced: t.namespaced,
        group: 'autoscaling',
        version: 'v1',
        kind: 'Scale',
        verbs: ['get', 'patch', 'update'],
      });
    if (t.kind === 'Pod')
      resources.push({ name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: READ.slice(0, 1) });
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf(types[0] ?? { group, version }),
    resources,
  };
}
