import { describe, expect, it } from 'vitest';
import type { Node, Pod } from '../../api/index.js';
import { NodeAccounting } from './accounting.js';
import { StaticFitCache } from './fit-cache.js';
import { DEFAULT_FILTERS, podInfo } from './plugins.js';

const node = (taint: boolean): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'n1' },
  spec: taint ? { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] } : {},
  status: { conditions: [{ type: 'Ready', status: 'True' }], runtimeHandlers: [{ name: 'wasm' }] },
});

const pod = (name: string, tolerate: boolean): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: {
    containers: [{ name: 'c', image: 'x.wasm' }],
    ...(tolerate ? { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] } : {}),
  },
});

describe('StaticFitCache', () => {
  it('gives each pod signature its own verdict per Node object, and a changed Node a fresh one', () => {
    const cache = new StaticFitCache(DEFAULT_FILTERS.filter((f) => f.static));
    const acct = new NodeAccounting();
    const tainted = node(true);
    expect(cache.check(podInfo(pod('a', false)), tainted, acct)).toMatch(/untolerated taint \{dedicated: db\}/);
    expect(cache.check(podInfo(pod('b', false)), tainted, acct)).toMatch(/untolerated taint/); // same signature, memo
    expect(cache.check(podInfo(pod('c', true)), tainted, acct)).toBeUndefined(); // tolerations differ
    // The informer replaces a changed Node with a new object: no stale verdict.
    expect(cache.check(podInfo(pod('d', false)), node(false), acct)).toBeUndefined();
  });

  it('leaves filters that read what is bound where to the scheduler', () => {
    expect(DEFAULT_FILTERS.filter((f) => !f.static).map((f) => f.name)).toEqual(['NodeResourcesFit']);
  });
});
