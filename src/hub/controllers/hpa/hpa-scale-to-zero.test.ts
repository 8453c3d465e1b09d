/**
 * The HPA controller taking an idle target to zero and back (`testing/hpa-rig.ts`): to zero only after the
 * idle window, woken at once by a Service wake-up, and not taken back to zero while the woken pod is still
 * starting. Scaling on metrics: `hpa-controller.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../api/index.js';
import { rfc3339 } from '../../../api/index.js';
import { POD, hpaRig } from './testing/hpa-rig.js';

describe('HpaController', () => {
  const rig = hpaRig();
  const { deployment, service, createPod, pod, sample, hpa, sync, replicas, status, events, now, tick } = rig;

  it('scales an idle target to zero after the idle window and wakes it at once on a Service wake', async () => {
    await deployment(1);
    await pod('a', 0);
    await service();
    await hpa({ minReplicas: 0 }, { 'autoscaling.edgeplane.io/scale-to-zero-idle-seconds': '60' });
    await sync();
    expect(await replicas()).toBe(1);
    tick(30_000);
    await sync();
    expect(await replicas()).toBe(1);
    tick(31_000);
    await sync();
    expect(await replicas()).toBe(0);
    await sync();
    const active = (await status())?.conditions?.find((c) => c.type === 'ScalingActive');
    expect(active).toMatchObject({ status: 'False', reason: 'ScaledToZero' });
    // The wake scales at once: no sync is driven here.
    rig.usage.wake('default', 'web');
    await expect.poll(replicas).toBe(1);
    await expect
      .poll(events)
      .toContain('SuccessfulRescale: New size: 1; reason: a request for Service web is waiting (scale from zero)');
  });

  it('does not take a woken target back to zero while its pod is still starting (the intermittent 503 at zero)', async () => {
    await deployment(0);
    await service();
    await hpa({ minReplicas: 0 }, { 'autoscaling.edgeplane.io/scale-to-zero-idle-seconds': '1' });
    await sync();
    rig.usage.wake('default', 'web');
    await expect.poll(replicas).toBe(1);
    // Past the idle window with no pod yet (the ReplicaSet has not made it): starting, not idle.
    tick(1_500);
    await sync();
    expect(await replicas()).toBe(1);
    // A pod created and scheduled but not Running yet (a slow start on a loaded node): still starting.
    await createPod('a');
    tick(1_500);
    await sync();
    expect(await replicas()).toBe(1);
    // Once it runs and reports no requests for the whole window, it may go to zero again.
    const p = await rig.api.get<Pod>(POD, 'default', 'a');
    await rig.api.updateStatus(POD, { ...p, status: { phase: 'Running', startTime: rfc3339(now()) } });
    sample('a', p.metadata.uid ?? '', 0);
    await sync();
    expect(await replicas()).toBe(1);
    tick(1_500);
    sample('a', p.metadata.uid ?? '', 0);
    await sync();
    expect(await replicas()).toBe(0);
  });
});
