/**
 * The sources query's choice (issue 20): holders of a digest in the caller's zone, as nodes report
 * their images, Ready, with a mesh endpoint, never the caller, at most three, in random order.
 */
import { describe, expect, it } from 'vitest';
import { MAX_BLOB_SOURCES, type Node } from '../../api/index.js';
import { BlobFetchTracker, blobSources } from './blob-sources.js';

const D = `sha256:${'d'.repeat(64)}`;
const E = `sha256:${'e'.repeat(64)}`;

function node(name: string, zone: string | undefined, images: string[], ready = 'True', port = 10250): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: zone === undefined ? {} : { 'topology.kubernetes.io/zone': zone } },
    status: {
      conditions: [{ type: 'Ready', status: ready }],
      addresses: [{ type: 'InternalIP', address: `10.0.0.${name.length}` }],
      daemonEndpoints: { kubeletEndpoint: { Port: port } },
      images: images.map((i) => ({ names: [i] })),
    },
  } as Node;
}

describe('blob sources', () => {
  const me = node('me', 'z1', []);
  const nodes = [
    me,
    node('a', 'z1', [D]),
    node('bb', 'z1', [E]),
    node('ccc', 'z2', [D]),
    node('dddd', 'z1', [D], 'Unknown'),
    node('eeeee', undefined, [D]),
  ];

  it('names the Ready holders of the caller zone, with their mesh endpoints', () => {
    expect(blobSources(nodes, me, D)).toEqual([{ nodeName: 'a', address: '10.0.0.1', meshPort: 10250 }]);
    expect(blobSources(nodes, me, E).map((s) => s.nodeName)).toEqual(['bb']);
  });

  it('names nobody for a caller without a zone or unknown, and never the caller itself', () => {
    expect(blobSources(nodes, nodes[5], D)).toEqual([]);
    expect(blobSources(nodes, undefined, D)).toEqual([]);
    expect(blobSources(nodes, nodes[1], D)).toEqual([]);
  });

  it('names at most three, in the order the random draw gives (spreading the load)', () => {
    const many = [me, ...['n1', 'n2', 'n3', 'n4', 'n5'].map((n) => node(n, 'z1', [D]))];
    const draws = [0.5, 0.1, 0.9, 0.3, 0.7];
    let i = 0;
    const picked = blobSources(many, me, D, () => draws[i++]!);
    expect(picked).toHaveLength(MAX_BLOB_SOURCES);
    expect(picked.map((s) => s.nodeName)).toEqual(['n2', 'n4', 'n1']);
  });

  it('says pending while a node of the zone downloads the blob, until it ends or its time is up', () => {
    let now = 1_000;
    const byName = new Map(nodes.map((n) => [n.metadata.name!, n]));
    const tracker = new BlobFetchTracker({ get: (_ns, name) => byName.get(name) }, 10_000, () => now);
    const done = tracker.begin('a', D);
    expect(tracker.pending(me, D)).toBe(true);
    expect(tracker.pending(me, E)).toBe(false);
    expect(tracker.pending(nodes[3], D)).toBe(false); // zone z2
    done();
    expect(tracker.pending(me, D)).toBe(false);
    tracker.begin('bb', D); // never ends: a crashed download
    now += 10_001;
    expect(tracker.pending(me, D)).toBe(false);
    tracker.begin('eeeee', D); // no zone: not tracked
    expect(tracker.pending(nodes[5], D)).toBe(false);
  });

  it('holds a claim for its own time, shorter than a download', () => {
    let now = 0;
    const byName = new Map(nodes.map((n) => [n.metadata.name!, n]));
    const tracker = new BlobFetchTracker({ get: (_ns, name) => byName.get(name) }, 120_000, () => now);
    tracker.begin('a', D, 30_000);
    expect(tracker.pending(me, D)).toBe(true);
    now = 30_001;
    expect(tracker.pending(me, D)).toBe(false);
  });

  it('does not count the caller own claim or download: a node never waits for itself', () => {
    const now = 0;
    const byName = new Map(nodes.map((n) => [n.metadata.name!, n]));
    const tracker = new BlobFetchTracker({ get: (_ns, name) => byName.get(name) }, 120_000, () => now);
    tracker.begin('me', D, 30_000); // its claim, from its first sources query
    const cut = tracker.begin('me', D); // its download, then cut
    cut();
    expect(tracker.pending(me, D)).toBe(false); // asking again: go to the hub, not wait
    expect(tracker.pending(nodes[1], D)).toBe(true); // a zone peer still waits for it
    tracker.begin('a', D);
    expect(tracker.pending(me, D)).toBe(true); // now another node of its zone downloads it
  });
});
