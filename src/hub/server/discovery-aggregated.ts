/**
 * Aggregated discovery (`apidiscovery.k8s.io/v2`, and `v2beta1` which kubectl 1.32 still accepts):
 * `/api` and `/apis` each answer every group, version and resource in one document, so kubectl
 * needs two requests instead of one per group version. kubectl asks for it in its Accept header and
 * recognises it by the response's Content-Type.
 */
import { discoveredGroups, type DiscoveredGroup, type DiscoveredResource } from './discovery-catalog.js';

/** The aggregated discovery versions, preferred first. */
export const AGGREGATED_VERSIONS = ['v2', 'v2beta1'] as const;
export type AggregatedVersion = (typeof AGGREGATED_VERSIONS)[number];

/** The Content-Type kubectl reads an aggregated document by. */
export function aggregatedContentType(version: AggregatedVersion): string {
  return `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;
}

function resourceDiscovery(r: DiscoveredResource): unknown {
  return {
    resource: r.plural,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: [...r.verbs],
    ...(r.shortNames.length > 0 ? { shortNames: [...r.shortNames] } : {}),
    ...(r.categories.length > 0 ? { categories: [...r.categories] } : {}),
    ...(r.subresources.length > 0
      ? {
          subresources: r.subresources.map((s) => ({
            subresource: s.name,
            responseKind: s.responseKind,
            verbs: [...s.verbs],
          })),
        }
      : {}),
  };
}

function groupDiscovery(g: DiscoveredGroup): unknown {
  return {
    metadata: g.name === '' ? {} : { name: g.name },
    versions: g.versions.map((v) => ({
      version: v.version,
      resources: v.resources.map(resourceDiscovery),
      freshness: 'Current',
    })),
  };
}

/** `GET /api` (`legacy`: the core group alone) or `GET /apis` (every named group), aggregated. */
export function aggregatedDiscovery(which: 'legacy' | 'groups', version: AggregatedVersion): unknown {
  const groups = discoveredGroups().filter((g) => (which === 'legacy' ? g.name === '' : g.name !== ''));
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: groups.map(groupDiscovery),
  };
}
