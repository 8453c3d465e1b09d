import { describe, expect, it } from 'vitest';
import { aggregatedContentType, aggregatedDiscovery } from './discovery-aggregated.js';
import { negotiateDiscovery } from './discovery-routes.js';
import { apiResourceList } from './discovery.js';

// The Accept header kubectl 1.32 sends to /api and /apis (seen on the wire).
const KUBECTL_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

interface Res {
  resource: string;
  shortNames?: string[];
  categories?: string[];
  scope: string;
  subresources?: Array<{ subresource: string; responseKind: { kind: string } }>;
}
type Doc = { items: Array<{ metadata: { name?: string }; versions: Array<{ version: string; resources: Res[] }> }> };

describe('discovery', () => {
  it('negotiates the aggregated version kubectl asks for first, else the legacy lists', () => {
    expect(negotiateDiscovery(KUBECTL_ACCEPT)).toBe('v2');
    expect(negotiateDiscovery('application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList')).toBe(
      'v2beta1',
    );
    expect(negotiateDiscovery('application/json')).toBe('legacy');
    expect(negotiateDiscovery(undefined)).toBe('legacy');
    expect(aggregatedContentType('v2')).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
  });

  it('announces the core group with short names, the all category and subresources', () => {
    const core = aggregatedDiscovery('legacy', 'v2') as Doc;
    expect(core.items).toHaveLength(1);
    const pods = core.items[0]?.versions[0]?.resources.find((r) => r.resource === 'pods');
    expect(pods).toMatchObject({ shortNames: ['po'], categories: ['all'], scope: 'Namespaced' });
    expect(pods?.subresources?.map((s) => s.subresource)).toEqual([
      'status',
      'log',
      'exec',
      'attach',
      'binding',
      'portforward',
    ]);
    const forward = pods?.subresources?.find((s) => s.subresource === 'portforward');
    expect(forward).toMatchObject({ responseKind: { kind: 'PodPortForwardOptions' }, verbs: ['create', 'get'] });
    const nodes = core.items[0]?.versions[0]?.resources.find((r) => r.resource === 'nodes');
    expect(nodes?.subresources?.find((s) => s.subresource === 'proxy')).toMatchObject({ verbs: ['get'] });
    const cm = core.items[0]?.versions[0]?.resources.find((r) => r.resource === 'configmaps');
    expect(cm?.categories).toBeUndefined();
  });

  it('lists every named group once, deployments with their autoscaling/v1 Scale', () => {
    const groups = aggregatedDiscovery('groups', 'v2') as Doc;
    const names = groups.items.map((g) => g.metadata.name);
    expect(names).toContain('apps');
    expect(new Set(names).size).toBe(names.length);
    const apps = groups.items.find((g) => g.metadata.name === 'apps');
    const deploy = apps?.versions[0]?.resources.find((r) => r.resource === 'deployments');
    expect(deploy?.subresources?.find((s) => s.subresource === 'scale')?.responseKind.kind).toBe('Scale');
    expect(deploy?.categories).toEqual(['all']);
  });

  it('writes the legacy list from the same catalog', () => {
    const v1 = apiResourceList('', 'v1') as { resources: Array<{ name: string; categories?: string[] }> };
    expect(v1.resources.map((r) => r.name)).toEqual(expect.arrayContaining(['pods', 'pods/log', 'pods/status']));
    expect(v1.resources.find((r) => r.name === 'services')?.categories).toEqual(['all']);
    expect(() => apiResourceList('nope', 'v1')).toThrow(/could not find/);
  });
});
