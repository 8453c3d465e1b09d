/**
 * A Wasm pod refused for the node's Wasm memory budget, as its status and Events show it (container
 * Waiting with reason WasmMemoryBudgetExceeded, the message naming the budget), and started once a
 * pod that held the budget is deleted: pod workers over the real Wasm runtime and a real component.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod, PodRef, PodStatus } from '../../api/index.js';
import type { WasmRuntime } from '../../runtime-wasm/index.js';
import { addBlob, buildComponent, startRuntime } from '../../runtime-wasm/testing/index.js';
import { testPod, waitFor } from '../testing/fake-hub.js';
import type { PodWorkers } from './pod-workers.js';
import { testPodWorkers } from '../testing/test-pod-workers.js';

const MiB = 2 ** 20;
let dir: string;
let image: string;
let runtime: WasmRuntime;
let workers: PodWorkers;
const reports: Array<{ pod: PodRef; status: PodStatus }> = [];
const events: Array<{ pod: string; reason: string; message: string }> = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'edge-node-wasm-budget-'));
  const blobs = new Map<string, Uint8Array>();
  image = addBlob(blobs, 'memhog', buildComponent('testdata/memhog'));
  runtime = (
    await startRuntime(path.join(dir, 'runtime-wasm'), blobs, {
      executors: 1,
      memoryBudgetBytes: 24 * MiB,
      defaultMemoryLimitBytes: 8 * MiB,
    })
  ).runtime;
  workers = await testPodWorkers(dir, [runtime], {
    reportStatus: (pods) => (reports.push(...pods), true),
    reportEvent: (pod, _type, reason, message) => void events.push({ pod: pod.name, reason, message }),
  });
}, 180_000);

afterAll(async () => {
  await workers?.stop();
  await runtime?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const last = (name: string) => reports.filter((r) => r.pod.name === name).at(-1)?.status;
const withLimit = (pod: Pod, memory: string): Pod => {
  pod.spec.containers[0]!.resources = { limits: { memory } };
  return pod;
};

describe('Wasm memory budget in pod status', () => {
  it('shows WasmMemoryBudgetExceeded naming the budget, and starts the pod once another one is deleted', async () => {
    const holder = withLimit(testPod('holder', { image }), '16Mi');
    workers.upsert(holder);
    await waitFor(() => last('holder')?.phase === 'Running', 60_000, 'holder running');

    workers.upsert(withLimit(testPod('late', { image }), '16Mi'));
    const waiting = await waitFor(
      () =>
        last('late')?.containerStatuses?.[0]?.state?.waiting?.reason === 'WasmMemoryBudgetExceeded' &&
        last('late')?.containerStatuses?.[0]?.state?.waiting,
      60_000,
      'refusal',
    );
    expect(waiting.message).toBe(
      'cannot create container main: Wasm memory needs 16Mi, node budget 24Mi has 8Mi free (1 × 16Mi per instance)',
    );
    expect(events.find((e) => e.pod === 'late' && e.reason === 'WasmMemoryBudgetExceeded')?.message).toMatch(
      /node budget 24Mi has 8Mi free/,
    );
    expect(last('late')?.phase).toBe('Pending');

    workers.delete({ namespace: 'default', name: 'holder', uid: holder.metadata.uid! });
    await waitFor(() => last('late')?.phase === 'Running', 60_000, 'late running once the budget is freed');
    expect(runtime.stats.memoryBudget.reserved).toBe(16 * MiB);
  });
});
