/**
 * A deleted pod that is a Service's endpoint keeps serving for the drain's quiet period from the
 * deletion even when it had no request just before (nodes may still route to it until the change
 * reaches them); a deleted pod that backs no Service, and had no request, stops at once. Real pod
 * workers and the mesh's registry of local pods over a fake runtime.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../api/index.js';
import { LocalPods } from '../mesh/local-pods.js';
import { testPod, waitFor } from '../testing/fake-hub.js';
import { FakeRuntime } from '../testing/fake-runtime.js';
import type { PodWorkers } from './pod-workers.js';
import { DRAIN_QUIET_MS } from './termination-drain.js';
import { testPodWorkers } from '../testing/test-pod-workers.js';

let dir: string;
let workers: PodWorkers;
const rt = new FakeRuntime();
const endpoints = new Set<string>();
const localPods = new LocalPods(() => endpoints);

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'edge-node-settle-'));
  workers = await testPodWorkers(dir, [rt], { reportStatus: () => true, localPods });
});
afterAll(async () => {
  await workers.stop();
  await rm(dir, { recursive: true, force: true });
});

const deleted = (pod: Pod): Pod => ({
  ...pod,
  metadata: { ...pod.metadata, deletionTimestamp: new Date().toISOString(), deletionGracePeriodSeconds: 30 },
});
const stopped = (name: string): boolean => rt.calls.some((c) => c.startsWith(`stop ${name}/`));

describe('termination of a Service endpoint', () => {
  it('keeps serving for the quiet period from its deletion, while a pod backing no Service stops at once', async () => {
    const ports = [{ containerPort: 8080 }];
    const backend = testPod('backend', { ports });
    const lone = testPod('lone', { ports });
    endpoints.add(backend.metadata.uid!);
    expect(localPods.backsService(backend.metadata.uid!)).toBe(true);
    expect(localPods.backsService(lone.metadata.uid!)).toBe(false);
    workers.upsert(backend);
    workers.upsert(lone);
    await waitFor(() => rt.running('backend').length === 1 && rt.running('lone').length === 1);

    const t0 = performance.now();
    workers.upsert(deleted(backend));
    workers.upsert(deleted(lone));
    await waitFor(() => stopped('lone'));
    // The lone pod went without waiting; the Service's endpoint still answers, though nothing reached it.
    expect(performance.now() - t0).toBeLessThan(DRAIN_QUIET_MS);
    expect(stopped('backend')).toBe(false);
    expect(localPods.target('default', 'backend', 8080)).toMatchObject({ ok: true, port: 8080 });

    await waitFor(() => stopped('backend'), 10_000);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(DRAIN_QUIET_MS);
    expect(localPods.target('default', 'backend', 8080)).toMatchObject({ ok: false });
  });
});
