/**
 * `edgectl delete --force`, `--wait` (the default) and `--wait=false` against a real hub, compared with
 * the real kubectl (v1.32) deleting a twin object: the same lines, and a wait that a finalizer holds.
 */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/index.js';
import { T, cm, until, useParityHub } from '../testing/parity-fixtures.js';

const p = useParityHub();

describe('delete --force and --wait', () => {
  it('--force --grace-period=0 warns and says "force deleted", as kubectl', async () => {
    await p.hub.api.create(T('cm'), cm('gone-1', 'x'));
    await p.hub.api.create(T('cm'), cm('gone-2', 'x'));
    const mine = await p.edgectl(['delete', 'cm', 'gone-1', '--force', '--grace-period=0']);
    const theirs = await p.kubectl(['delete', 'cm', 'gone-2', '--force', '--grace-period=0']);
    expect(mine).toEqual({ code: 0, out: theirs.out.replace('gone-2', 'gone-1'), err: theirs.err });
  });

  it("waits by default (kubectl's --wait=true) until a finalizer is gone; --timeout ends it with kubectl wording", async () => {
    const held = {
      ...cm('held', 'x'),
      metadata: { name: 'held', namespace: 'default', finalizers: ['edgeplane.io/test'] },
    };
    await p.hub.api.create(T('cm'), held);
    const timedOut = await p.edgectl(['delete', 'cm', 'held', '--timeout=1s']);
    expect(timedOut).toMatchObject({ code: 1, out: 'configmap "held" deleted\n' });
    expect(timedOut.err).toBe('error: timed out waiting for the condition on configmaps/held\n');

    let done = false;
    const seen = p.hub.requests.length;
    const waiting = p.edgectl(['delete', 'cm', 'held', '--ignore-not-found']).then((r) => {
      done = true;
      return r;
    });
    // The wait is open on the hub (a watch of that name) before the finalizer goes.
    await until(() =>
      p.hub.requests.slice(seen).some((r) => r.includes('watch=true') && r.includes('metadata.name%3Dheld')),
    );
    expect(done).toBe(false);
    const cur = await p.hub.api.get(T('cm'), 'default', 'held');
    await p.hub.api.update(T('cm'), { ...cur, metadata: { ...cur.metadata, finalizers: [] } });
    expect(await waiting).toMatchObject({ code: 0, out: 'configmap "held" deleted\n' });
  });

  it('--wait=false returns at once while a finalizer holds the object, as kubectl', async () => {
    const held = (name: string): KubeObject => ({
      ...cm(name, 'x'),
      metadata: { name, namespace: 'default', finalizers: ['edgeplane.io/test'] },
    });
    await p.hub.api.create(T('cm'), held('kept-1'));
    await p.hub.api.create(T('cm'), held('kept-2'));
    const mine = await p.edgectl(['delete', 'cm', 'kept-1', '--wait=false']);
    const theirs = await p.kubectl(['delete', 'cm', 'kept-2', '--wait=false']);
    expect(mine).toEqual({ code: 0, out: theirs.out.replace('kept-2', 'kept-1'), err: theirs.err });
    for (const name of ['kept-1', 'kept-2']) {
      const cur = await p.hub.api.get(T('cm'), 'default', name);
      expect(cur.metadata.deletionTimestamp).toBeTruthy();
      await p.hub.api.update(T('cm'), { ...cur, metadata: { ...cur.metadata, finalizers: [] } });
    }
  });
});
