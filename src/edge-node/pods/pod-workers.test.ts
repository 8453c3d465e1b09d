import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock, PodRef, PodStatus } from '../../api/index.js';
import { testPod, waitFor } from '../testing/fake-hub.js';
import { FakeRuntime, type FakeRuntimeOptions } from '../testing/fake-runtime.js';
import type { PodWorkers } from './pod-workers.js';
import { testPodWorkers } from '../testing/test-pod-workers.js';

let dir: string;
let workers: PodWorkers | undefined;
const reports: Array<{ pod: PodRef; status: PodStatus }> = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'edge-node-pods-'));
  reports.length = 0;
});
afterEach(async () => {
  await workers?.stop();
  workers = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** A clock tests move by hand. */
function fakeClock(start = Date.parse('2030-01-01T00:00:00Z')): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => now, advance: (ms) => void (now += ms) };
}

async function setup(rtOpts: FakeRuntimeOptions = {}, clock: Clock = fakeClock()) {
  const rt = new FakeRuntime(rtOpts);
  workers = await testPodWorkers(dir, [rt], { clock, reportStatus: (pods) => (reports.push(...pods), true) });
  return { rt, workers };
}

const last = (name: string) => reports.filter((r) => r.pod.name === name).at(-1)?.status;
const waiting = (name: string) => last(name)?.containerStatuses?.[0]?.state?.waiting;

describe('PodWorkers', () => {
  it('restarts a crashing container with doubling back-off (CrashLoopBackOff), reset after a long run', async () => {
    const clock = fakeClock();
    const { rt, workers } = await setup({}, clock);
    workers.upsert(testPod('crashy'));
    // The first crash restarts at once (as the kubelet does); back-off starts with the second.
    const first = await waitFor(() => rt.running('crashy')[0], 5000, 'instance 0');
    rt.exit(first.config.id, 1);
    await waitFor(
      () =>
        last('crashy')?.containerStatuses?.[0]?.restartCount === 1 &&
        last('crashy')?.containerStatuses?.[0]?.state?.running,
      5000,
      'immediate restart',
    );
    const messages: string[] = [];
    for (let i = 1; i < 5; i++) {
      const c = await waitFor(() => rt.running('crashy')[0], 5000, `instance ${i}`);
      rt.exit(c.config.id, 1);
      await waitFor(
        () =>
          waiting('crashy')?.reason === 'CrashLoopBackOff' &&
          last('crashy')?.containerStatuses?.[0]?.restartCount === i,
        5000,
        `backoff ${i}`,
      );
      messages.push(waiting('crashy')?.message ?? '');
    }
    expect(messages.map((m) => /back-off (\S+)/.exec(m)?.[1])).toEqual(['40ms', '80ms', '160ms', '160ms']);
    expect(messages[0]).toBe('back-off 40ms restarting failed container=main pod=crashy_default(uid-crashy)');
    const st = last('crashy');
    expect(st?.phase).toBe('Running');
    expect(st?.containerStatuses?.[0]?.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(st?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
    });

    // A container that ran 10 minutes is restarted at once again, and the back-off starts over.
    const c = await waitFor(() => rt.running('crashy')[0], 5000, 'instance 5');
    await waitFor(() => last('crashy')?.containerStatuses?.[0]?.state?.running, 5000, 'running again');
    clock.advance(11 * 60_000);
    rt.exit(c.config.id, 2);
    await waitFor(
      () =>
        last('crashy')?.containerStatuses?.[0]?.restartCount === 6 &&
        last('crashy')?.containerStatuses?.[0]?.state?.running,
      5000,
      'immediate restart after a long run',
    );
    expect(last('crashy')?.containerStatuses?.[0]?.lastState?.terminated?.exitCode).toBe(2);
    const again = await waitFor(() => rt.running('crashy')[0], 5000, 'instance 6');
    rt.exit(again.config.id, 1);
    await waitFor(
      () =>
        waiting('crashy')?.reason === 'CrashLoopBackOff' && last('crashy')?.containerStatuses?.[0]?.restartCount === 6,
      5000,
      'backoff after long run',
    );
    expect(waiting('crashy')?.message).toMatch(/^back-off 40ms /);
  });

  it('follows restartPolicy: Never → Failed, OnFailure + exit 0 → Succeeded', async () => {
    const { rt, workers } = await setup({
      behaviour: (c) => ({ exitAfterMs: 5, exitCode: c.pod.name === 'never' ? 3 : 0 }),
    });
    workers.upsert(testPod('never', { restartPolicy: 'Never' }));
    workers.upsert(testPod('once', { restartPolicy: 'OnFailure' }));
    await waitFor(
      () => last('never')?.phase === 'Failed' && last('once')?.phase === 'Succeeded',
      5000,
      'terminal phases',
    );
    expect(last('never')?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(last('once')?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'PodCompleted',
    });
    expect(rt.calls.filter((c) => c.startsWith('start')).length).toBe(2);
  });

  it('shows ErrImagePull, then ImagePullBackOff while retrying', async () => {
    const image = 'edgeplane.hub/missing.wasm@sha256:' + 'b'.repeat(64);
    const { rt, workers } = await setup({ failPull: new Set([image]) });
    workers.upsert(testPod('nopull', { image }));
    await waitFor(() => waiting('nopull')?.reason === 'ErrImagePull', 5000, 'ErrImagePull');
    expect(waiting('nopull')?.message).toMatch(/404/);
    expect(last('nopull')?.phase).toBe('Pending');
    await waitFor(() => waiting('nopull')?.reason === 'ImagePullBackOff', 5000, 'ImagePullBackOff');
    expect(waiting('nopull')?.message).toMatch(/Back-off .* pulling image/);
    rt.opts.failPull?.clear();
    await waitFor(() => last('nopull')?.phase === 'Running', 5000, 'recovers once the image is there');
  });

  it('shows CreateContainerError with the runtime message', async () => {
    const image = 'edgeplane.hub/lib.wasm@sha256:' + 'c'.repeat(64);
    const { workers } = await setup({ failCreate: new Set([image]) });
    workers.upsert(testPod('nocreate', { image }));
    await waitFor(() => waiting('nocreate')?.reason === 'CreateContainerError', 5000, 'CreateContainerError');
    expect(waiting('nocreate')?.message).toMatch(/exports nothing runnable/);
  });

  it('restarts a container whose spec changed, and passes args and log paths', async () => {
    const { rt, workers } = await setup();
    workers.upsert(testPod('web', { args: ['--v1'] }));
    const first = await waitFor(() => rt.running('web')[0], 5000, 'v1');
    expect(first.config.logPath).toBe(path.join(dir, 'logs', 'default_web_uid-web', 'main', '0.log'));
    workers.upsert(testPod('web', { args: ['--v2'] }));
    const second = await waitFor(() => rt.running('web').find((c) => c.config.args[0] === '--v2'), 5000, 'v2');
    expect(second.config.logPath.endsWith(path.join('main', '1.log'))).toBe(true);
    expect(rt.running('web').length).toBe(1);
    // Same spec again: nothing restarts.
    workers.upsert(testPod('web', { args: ['--v2'] }));
    await workers.idle();
    expect(rt.calls.filter((c) => c.startsWith('start')).length).toBe(2);
  });

  it('lets a probe manager set readiness', async () => {
    const { workers } = await setup();
    workers.upsert(testPod('probed'));
    await waitFor(() => last('probed')?.phase === 'Running', 5000, 'running');
    workers.get('uid-probed')?.setContainerReadiness('main', false);
    await waitFor(
      () => last('probed')?.conditions?.find((c) => c.type === 'Ready')?.status === 'False',
      5000,
      'not ready',
    );
    expect(last('probed')?.containerStatuses?.[0]?.ready).toBe(false);
  });

  it('sends a Ready flip at once, not after the batch window; other changes still wait for it', async () => {
    // A batch window far longer than the test: only the Ready flips may be sent before it ends.
    workers = await testPodWorkers(dir, [new FakeRuntime()], {
      statusBatchMs: 60_000,
      reportStatus: (pods) => (reports.push(...pods), true),
    });
    const ready = (name: string) => last(name)?.conditions?.find((c) => c.type === 'Ready')?.status;
    workers.upsert(testPod('woken'));
    await waitFor(() => ready('woken') === 'True', 5000, 'Ready sent before the batch window ends');
    // Pulled, created, started and Ready went in one report: the steps before it were not sent alone.
    expect(reports.filter((r) => r.pod.name === 'woken')).toHaveLength(1);
    expect(last('woken')?.phase).toBe('Running');
    // Losing readiness is sent at once too (traffic must stop).
    workers.get('uid-woken')?.setContainerReadiness('main', false);
    await waitFor(() => ready('woken') === 'False', 5000, 'not Ready sent before the batch window ends');
    expect(reports.filter((r) => r.pod.name === 'woken')).toHaveLength(2);
  });
});
