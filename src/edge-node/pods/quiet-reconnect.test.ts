/**
 * Quiet reconnects (issue 20): while a node is cut off from its hub, pod status is state, not a queue.
 * 100 pods change status again and again during the outage (every container crashes and is restarted
 * three times); on reconnect the node reports one coalesced status per pod — the latest — in frames
 * of `MAX_STATUS_PODS_PER_FRAME`, never a replay of what happened. The frames and bytes are printed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_STATUS_PODS_PER_FRAME } from '../../api/index.js';
import type { PodRef, PodStatus } from '../../api/index.js';
import { reportFrames } from '../session/report-frames.js';
import { testPod, waitFor } from '../testing/fake-hub.js';
import { FakeRuntime } from '../testing/fake-runtime.js';
import { testPodWorkers } from '../testing/test-pod-workers.js';
import type { PodWorkers } from './pod-workers.js';

const PODS = 100;
const CRASHES = 3;

describe('status after a long outage', () => {
  let dir: string;
  let workers: PodWorkers;
  const rt = new FakeRuntime();
  let online = true;
  /** Each accepted report (one `reportStatus` call), as the session would send it. */
  const sent: Array<Array<{ pod: PodRef; status: PodStatus }>> = [];
  /** Reports the session could not send (offline): the workers keep them as state, not a queue. */
  let refused = 0;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'edge-node-quiet-'));
    workers = await testPodWorkers(dir, [rt], {
      reportStatus: (pods) => {
        if (!online) return (void refused++, false);
        sent.push(pods);
        return true;
      },
    });
  });
  afterAll(async () => {
    await workers.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const restarts = (s: PodStatus | undefined): number => s?.containerStatuses?.[0]?.restartCount ?? -1;
  const latest = (name: string): PodStatus | undefined =>
    sent
      .flat()
      .filter((r) => r.pod.name === name)
      .at(-1)?.status;

  it('reports one coalesced status per pod on reconnect, in frames of at most MAX_STATUS_PODS_PER_FRAME', async () => {
    for (let i = 0; i < PODS; i++) workers.upsert(testPod(`p-${i}`));
    await waitFor(() => rt.running().length === PODS, 20_000, 'every pod running');
    await waitFor(
      () => sent.flat().filter((r) => r.status.containerStatuses?.[0]?.state?.running).length >= PODS,
      20_000,
      'the first reports',
    );

    // The outage: every container crashes CRASHES times; each restart is a status change nobody hears.
    online = false;
    for (let c = 1; c <= CRASHES; c++) {
      for (const container of rt.running()) rt.exit(container.config.id, 1);
      await waitFor(
        () => rt.running().length === PODS && workers.list().every((w) => restarts(w.status()) >= c),
        60_000,
        `restart ${c} of every pod`,
      );
    }
    const before = sent.length;
    expect(refused).toBeGreaterThan(0);

    // Back: the agent asks for every pod's status once (as on a welcome).
    online = true;
    workers.reportAll();
    await waitFor(() => sent.length > before, 10_000, 'the reconnect report');
    await new Promise((r) => setTimeout(r, 200)); // anything more the reconnect would send
    const after = sent.slice(before).flat();
    const frames = reportFrames({ type: 'podStatus', pods: after.map(({ pod, status }) => ({ pod, status })) });
    const bytes = frames.reduce((a, f) => a + f.byteLength, 0);
    console.log(
      `quiet reconnect: ${PODS} pods, ${CRASHES * PODS} status changes during the outage (${refused} reports held back) → ` +
        `${after.length} pod statuses in ${frames.length} frames, ${bytes} bytes`,
    );
    // One status per pod, the latest (restartCount CRASHES), not a replay of the outage.
    expect(after).toHaveLength(PODS);
    expect(new Set(after.map((r) => r.pod.uid)).size).toBe(PODS);
    for (let i = 0; i < PODS; i++) expect(restarts(latest(`p-${i}`))).toBe(CRASHES);
    expect(frames).toHaveLength(Math.ceil(PODS / MAX_STATUS_PODS_PER_FRAME));
  });
});
