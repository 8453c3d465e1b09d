import { describe, expect, it } from 'vitest';
import type { HubToNode, RouteEndpoint, ServiceRoute } from '../../api/index.js';
import { HubToNode as HubToNodeSchema } from '../../api/index.js';
import { NodeServices } from './node-services.js';

type Delta = Extract<HubToNode, { type: 'serviceDelta' }>;

const ep = (name: string, ready = true): RouteEndpoint => ({
  pod: { namespace: 'shop', name, uid: `uid-${name}` },
  nodeName: 'n1',
  address: '10.0.0.1',
  meshPort: 7500,
  ready,
});
const route = (name: string, endpoints: RouteEndpoint[]): ServiceRoute => ({
  namespace: 'shop',
  name,
  type: 'ClusterIP',
  sessionAffinity: 'None',
  ports: [{ port: 80, targetPort: 8080 }],
  endpoints,
});
const patch = (rev: number, prev: number, upsert: RouteEndpoint[], remove: string[] = []): Delta =>
  HubToNodeSchema.parse({
    type: 'serviceDelta',
    rev,
    prev,
    namespace: 'shop',
    name: 'web',
    endpoints: { upsert, remove },
  }) as Delta;

describe('NodeServices', () => {
  it('applies a whole set, then endpoint patches in order, and offers the revision it reached as a resume point', () => {
    const s = new NodeServices();
    expect(s.resumePoint()).toBeUndefined();
    const set = s.applySet({
      type: 'serviceSet',
      epoch: 'e1',
      revision: 5,
      services: [{ rev: 4, route: route('web', [ep('a'), ep('b')]) }],
      keep: [],
    });
    expect(set.kind).toBe('changed');
    const flipped = s.applyDelta(patch(6, 4, [ep('b', false)], ['uid-a']));
    expect(flipped).toEqual({ kind: 'changed', services: [route('web', [ep('b', false)])] });
    expect(s.resumePoint()).toEqual({ epoch: 'e1', revision: 6 });
  });

  it('asks for a resync once when a patch skips a revision, ignores patches until the whole set comes, and then resumes again', () => {
    const s = new NodeServices();
    s.applySet({
      type: 'serviceSet',
      epoch: 'e1',
      revision: 5,
      services: [{ rev: 4, route: route('web', [ep('a')]) }],
      keep: [],
    });
    const gap = s.applyDelta(patch(9, 8, [ep('c')]));
    expect(gap).toMatchObject({ kind: 'resync' });
    expect(gap.kind === 'resync' && gap.reason).toMatch(/revision 8 .* holds revision 4/);
    expect(s.resumePoint()).toBeUndefined();
    expect(s.applyDelta(patch(10, 9, [ep('d')]))).toEqual({ kind: 'unchanged' });
    s.applySet({
      type: 'serviceSet',
      epoch: 'e1',
      revision: 10,
      services: [{ rev: 10, route: route('web', [ep('c'), ep('d')]) }],
      keep: [],
    });
    expect(s.resumePoint()).toEqual({ epoch: 'e1', revision: 10 });
  });

  it('keeps what a resumed set says to keep, drops the rest, and asks for a resync when told to keep what it lacks', () => {
    const s = new NodeServices();
    s.applySet({
      type: 'serviceSet',
      epoch: 'e1',
      revision: 3,
      services: [
        { rev: 1, route: route('web', [ep('a')]) },
        { rev: 2, route: route('old', []) },
      ],
      keep: [],
    });
    const resumed = s.applySet({
      type: 'serviceSet',
      epoch: 'e1',
      revision: 7,
      services: [{ rev: 7, route: route('new', []) }],
      keep: [{ namespace: 'shop', name: 'web', rev: 1 }],
    });
    expect(resumed.kind === 'changed' && resumed.services.map((r) => r.name).sort()).toEqual(['new', 'web']);
    const lacking = s.applySet({
      type: 'serviceSet',
      epoch: 'e1',
      revision: 8,
      services: [],
      keep: [{ namespace: 'shop', name: 'gone', rev: 2 }],
    });
    expect(lacking).toMatchObject({ kind: 'resync' });
  });

  it('takes a whole route and a removal whatever it held', () => {
    const s = new NodeServices();
    s.applySet({ type: 'serviceSet', epoch: 'e1', revision: 1, services: [], keep: [] });
    const whole = HubToNodeSchema.parse({
      type: 'serviceDelta',
      rev: 3,
      namespace: 'shop',
      name: 'web',
      route: route('web', [ep('a')]),
    }) as Delta;
    expect(s.applyDelta(whole).kind).toBe('changed');
    const removed = HubToNodeSchema.parse({
      type: 'serviceDelta',
      rev: 4,
      namespace: 'shop',
      name: 'web',
      removed: true,
    }) as Delta;
    expect(s.applyDelta(removed)).toEqual({ kind: 'changed', services: [] });
    expect(s.applyDelta(removed)).toEqual({ kind: 'unchanged' });
  });

  it('the wire refuses a delta that is both a route and a patch, or a patch without the revision it applies to', () => {
    const both = {
      type: 'serviceDelta',
      rev: 3,
      prev: 2,
      namespace: 'shop',
      name: 'web',
      route: route('web', []),
      endpoints: { upsert: [], remove: [] },
    };
    expect(HubToNodeSchema.safeParse(both).success).toBe(false);
    const noPrev = {
      type: 'serviceDelta',
      rev: 3,
      namespace: 'shop',
      name: 'web',
      endpoints: { upsert: [], remove: [] },
    };
    expect(HubToNodeSchema.safeParse(noPrev).success).toBe(false);
  });
});
