import { expect, it } from 'vitest';
import type { Pod } from '../../api/index.js';
import { podInfo } from './plugins.js';

const pod = (owner: string, images: string[]): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'p',
    namespace: 'default',
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: owner, controller: true }],
  },
  spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) },
});

it('gives pods a score key no owner uid or image can make alike for pods that score differently', () => {
  // Joined with spaces, both were "0 0 rs x.wasm y.wasm"; ImageLocality scores them apart on a node holding x.wasm.
  const a = podInfo(pod('rs x.wasm', ['y.wasm']));
  const b = podInfo(pod('rs', ['x.wasm', 'y.wasm']));
  expect(a.scoreKey).not.toBe(b.scoreKey);
  // Pods alike share it (a rollout's pods, other names).
  expect(
    podInfo({ ...pod('rs', ['x.wasm']), metadata: { ...pod('rs', ['x.wasm']).metadata, name: 'q' } }).scoreKey,
  ).toBe(podInfo(pod('rs', ['x.wasm'])).scoreKey);
});
