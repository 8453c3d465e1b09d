/** The node's pod position (`pod-position.ts`): what it offers, and a resume applied or refused. */
import { describe, expect, it } from 'vitest';
import { podSetDigest } from '../../api/index.js';
import type { Pod } from '../../api/index.js';
import { PodPosition } from './pod-position.js';

const pod = (i: number): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `p-${i}`, namespace: 'default', uid: `uid-${i}` },
  spec: { nodeName: 'n', containers: [{ name: 'c', image: 'a.wasm' }] },
});
const hash = (i: number): string => `hash-of-pod-${String(i).padStart(4, '0')}`;

function held(): PodPosition {
  const pos = new PodPosition();
  pos.welcomed(9);
  pos.synced({ type: 'podSync', pods: [pod(1), pod(2)], hashes: [hash(1), hash(2)] });
  return pos;
}

describe('PodPosition', () => {
  it('offers uid:hash pairs only to a hub of protocol 9, and none after a hello to an older one was refused', () => {
    const pos = held();
    expect(pos.offer()).toBe(`uid-1:${hash(1)},uid-2:${hash(2)}`);
    pos.welcomed(8);
    expect(pos.offer()).toBeUndefined();
    pos.welcomed(9);
    pos.unwelcomed();
    expect(pos.offer()).toBeUndefined();
  });

  it('forgets a pod sent without a hash, and everything after a set without hashes', () => {
    const pos = held();
    pos.upserted(pod(1), undefined);
    expect(pos.offer()).toBe(`uid-2:${hash(2)}`);
    pos.synced({ type: 'podSync', pods: [pod(3)] });
    expect(pos.offer()).toBeUndefined();
  });

  it('applies a resume into the whole set, and asks for it again when the digest differs', () => {
    const pos = held();
    const digest = podSetDigest(
      new Map([
        ['uid-2', hash(2)],
        ['uid-3', hash(3)],
      ]),
    );
    const ok = pos.resume({ type: 'podResume', pods: [pod(3)], hashes: [hash(3)], remove: ['uid-1'], digest });
    expect(ok.kind === 'whole' && ok.sync.pods.map((p) => p.metadata.name)).toEqual(['p-2', 'p-3']);
    const bad = pos.resume({ type: 'podResume', pods: [], hashes: [], remove: [], digest: hash(9).slice(0, 16) });
    expect(bad.kind === 'resync' && bad.reason).toContain('digest');
    expect(pos.offer()).toBeUndefined();
  });
});
