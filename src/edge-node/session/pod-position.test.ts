/**
 * The node's pod position (`pod-position.ts`): what it offers, a resume applied or refused, and what
 * a new agent process keeps of a saved position.
 */
import { describe, expect, it } from 'vitest';
import { podHash, podSetDigest } from '../../api/index.js';
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

  it('after a restart, keeps only the stamps of pods local state holds as they were stamped', () => {
    const changed: Pod = { ...pod(2), spec: { ...pod(2).spec, containers: [{ name: 'c', image: 'b.wasm' }] } };
    // Status and annotations are not in the hash: a pod stored with its status still counts.
    const withStatus: Pod = { ...pod(1), status: { phase: 'Running' } };
    const saved = {
      hubProtocol: 9,
      hashes: new Map([
        ['uid-1', podHash(pod(1))],
        ['uid-2', podHash(pod(2))],
        ['uid-3', podHash(pod(3))],
      ]),
    };
    const pos = new PodPosition();
    let changes = 0;
    pos.onChange(() => (changes += 1));
    // uid-2's file holds another version (a write cut off by the crash), uid-3's is gone, uid-4 was never stamped.
    expect(pos.restore(saved, [withStatus, changed, pod(4)])).toEqual({ kept: 1, missing: 1, stale: 1 });
    expect(pos.offer()).toBe(`uid-1:${podHash(pod(1))}`);
    expect(pos.saved().hubProtocol).toBe(9);
    // What a resume keeps is the pod of local state.
    const digest = podSetDigest(new Map([['uid-1', podHash(pod(1))]]));
    const r = pos.resume({ type: 'podResume', pods: [], hashes: [], remove: [], digest });
    expect(r.kind === 'whole' && r.sync.pods).toEqual([withStatus]);
    expect(changes).toBe(1);
    // A saved position of an older hub's session is not offered.
    pos.restore({ ...saved, hubProtocol: 8 }, [pod(1)]);
    expect(pos.offer()).toBeUndefined();
  });
});
