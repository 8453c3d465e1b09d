/**
 * The legacy discovery documents (`/api`, `/apis`, `/api/v1`, `/apis/{group}/{version}`), written
 * from the catalog. kubectl ≥ 1.26 asks `/api` and `/apis` for the aggregated form first
 * (discovery-aggregated.ts); these answer older clients and `/api/v1`-style URLs.
 */
import { NotFoundError } from '../../api/index.js';
import { discoveredGroups, type DiscoveredResource } from './discovery-catalog.js';

const gv = (group: string, version: string): string => (group === '' ? version : `${group}/${version}`);

/** `GET /api`. */
export function apiVersions(): unknown {
  return { kind: 'APIVersions', apiVersion: 'v1', versions: ['v1'], serverAddressByClientCIDRs: [] };
}

/** `GET /apis`. */
export function apiGroupList(): unknown {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: discoveredGroups()
      .filter((g) => g.name !== '')
      .map((g) => {
        const versions = g.versions.map((v) => ({ groupVersion: gv(g.name, v.version), version: v.version }));
        return { name: g.name, versions, preferredVersion: versions[0] };
      }),
  };
}

/** The `APIResource` entries of one resource: itself, then `plural/sub` per subresource. */
function apiResources(r: DiscoveredResource): unknown[] {
  const self = {
    name: r.plural,
    singularName: r.singular,
    namespaced: r.namespaced,
    kind: r.kind,
    verbs: [...r.verbs],
    ...(r.shortNames.length > 0 ? { shortNames: [...r.shortNames] } : {}),
    ...(r.categories.length > 0 ? { categories: [...r.categories] } : {}),
  };
  const subs = r.subresources.map((s) => ({
    name: `${r.plural}/${s.name}`,
    singularName: '',
    namespaced: r.namespaced,
    // Only when it differs from the list's group/version (Scale is autoscaling/v1), as Kubernetes writes it.
    ...(s.responseKind.group !== r.group || s.responseKind.version !== r.version
      ? { group: s.responseKind.group, version: s.responseKind.version }
      : {}),
    kind: s.responseKind.kind,
    verbs: [...s.verbs],
  }));
  return [self, ...subs];
}

/** `GET /api/v1`, `GET /apis/{group}/{version}`. */
export function apiResourceList(group: string, version: string): unknown {
  const found = discoveredGroups()
    .find((g) => g.name === group)
    ?.versions.find((v) => v.version === version);
  if (!found) throw new NotFoundError('', '', 'the server could not find the requested resource');
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: gv(group, version),
    resources: found.resources.flatMap(apiResources),
  };
}
