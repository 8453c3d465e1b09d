/**
 * `edgectl canary promote|abort|status` against a real API server. No controller runs here (its
 * reaction to the requests is tested in canary-controller.test.ts): the test writes the status the
 * controller would and checks what the commands write and print.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  CANARY_ABORT_ANNOTATION,
  CANARY_PROMOTE_ANNOTATION,
  typeByKind,
  type Canary,
  type CanaryStatus,
} from '../../api/index.js';
import { startTestHub, type TestHub } from '../../hub/testing/index.js';
import { run } from '../main.js';
import { captureIO } from '../testing/index.js';

const CANARY = typeByKind('flagger.app/v1beta1', 'Canary')!;
const EVENT = typeByKind('v1', 'Event')!;
let hub: TestHub;
let env: Record<string, string>;
let dir: string;

async function edgectl(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIO({ env, cwd: dir });
  const code = await run(argv, io);
  return { code, out: io.out(), err: io.errText() };
}

async function setStatus(ns: string, status: CanaryStatus): Promise<void> {
  const cd = await hub.api.get<Canary>(CANARY, ns, 'podinfo');
  await hub.api.updateStatus(CANARY, { ...cd, status });
}

beforeAll(async () => {
  hub = await startTestHub({ version: 'v0.1.0-fake' });
  dir = await mkdtemp(join(tmpdir(), 'edgectl-canary-'));
  env = { EDGE_SERVER: hub.url, EDGE_TOKEN: hub.adminToken, HOME: dir };
  await hub.api.ensureNamespace('shop');
  for (const ns of ['default', 'shop'])
    await hub.api.create(CANARY, {
      apiVersion: 'flagger.app/v1beta1',
      kind: 'Canary',
      metadata: { name: 'podinfo', namespace: ns },
      spec: {
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
        service: { port: 80 },
        analysis: { interval: '10s', threshold: 3, stepWeight: 10, maxWeight: 50 },
      },
    });
});
afterAll(() => hub.close());

it('promote and abort write the request for the revision under analysis, in the -n namespace', async () => {
  await setStatus('shop', { phase: 'Progressing', canaryWeight: 20, lastAppliedSpec: 'rev2' });
  const p = await edgectl(['canary', 'promote', 'podinfo', '-n', 'shop']);
  expect(p).toMatchObject({ code: 0, out: 'canary.flagger.app/podinfo promotion requested\n' });
  let cd = await hub.api.get<Canary>(CANARY, 'shop', 'podinfo');
  expect(cd.metadata.annotations?.[CANARY_PROMOTE_ANNOTATION]).toBe('rev2');
  // The status is untouched: only the controller moves the phase.
  expect(cd.status).toMatchObject({ phase: 'Progressing', canaryWeight: 20 });
  const a = await edgectl(['canary', 'abort', 'podinfo', '--namespace', 'shop']);
  expect(a).toMatchObject({ code: 0, out: 'canary.flagger.app/podinfo abort requested\n' });
  cd = await hub.api.get<Canary>(CANARY, 'shop', 'podinfo');
  expect(cd.metadata.annotations).toMatchObject({
    [CANARY_PROMOTE_ANNOTATION]: 'rev2',
    [CANARY_ABORT_ANNOTATION]: 'rev2',
  });
  // The default namespace's canary of the same name was not touched.
  const other = await hub.api.get<Canary>(CANARY, 'default', 'podinfo');
  expect(other.metadata.annotations ?? {}).toEqual({});
});

it('refuses a request when no analysis runs, and names a missing canary', async () => {
  const before = await edgectl(['canary', 'promote', 'podinfo']);
  expect(before.code).toBe(1);
  expect(before.err).toContain('has no analysis in progress (phase Initializing): nothing to promote');
  await setStatus('default', { phase: 'Succeeded', lastAppliedSpec: 'rev1', lastPromotedSpec: 'rev1' });
  const after = await edgectl(['canary', 'abort', 'podinfo']);
  expect(after.code).toBe(1);
  expect(after.err).toContain('(phase Succeeded): nothing to abort');
  const missing = await edgectl(['canary', 'status', 'nope']);
  expect(missing.code).toBe(1);
  expect(missing.err).toMatch(/not found/);
});

it('status prints phase, weight, failed checks, last transition, conditions, the pending request and events', async () => {
  const at = '2026-12-03T12:00:00Z';
  await setStatus('shop', {
    phase: 'Progressing',
    canaryWeight: 20,
    failedChecks: 1,
    lastAppliedSpec: 'rev2',
    lastPromotedSpec: 'rev1',
    lastTransitionTime: at,
    conditions: [
      {
        type: 'Promoted',
        status: 'Unknown',
        reason: 'Progressing',
        message: 'New revision detected, progressing canary analysis.',
        lastTransitionTime: at,
      },
    ],
  });
  const cd = await hub.api.get<Canary>(CANARY, 'shop', 'podinfo');
  await hub.api.create(EVENT, {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'podinfo.1', namespace: 'shop' },
    involvedObject: { kind: 'Canary', namespace: 'shop', name: 'podinfo', uid: cd.metadata.uid },
    type: 'Warning',
    reason: 'Synced',
    message: 'Halt podinfo.shop advancement success rate 70% < 99%',
    lastTimestamp: at,
    source: { component: 'flagger' },
  });
  const r = await edgectl(['canary', 'status', 'podinfo', '-n', 'shop']);
  expect(r.code).toBe(0);
  const lines = r.out.split('\n');
  expect(lines).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^Target:\s+Deployment\/podinfo$/),
      expect.stringMatching(/^Phase:\s+Progressing$/),
      expect.stringMatching(/^Weight:\s+20 \(steps: 10 up to 50\)$/),
      expect.stringMatching(/^Failed checks:\s+1 of 3$/),
      expect.stringMatching(/^Last transition:\s+Thu, 03 Dec 2026 12:00:00 \+0000 \(\S+ ago\)$/),
      expect.stringMatching(/^Revision:\s+rev2$/),
      expect.stringMatching(/^Requested:\s+abort \(waiting for the controller\)$/),
      expect.stringMatching(/^\s+Promoted\s+Unknown\s+Progressing\s+New revision detected/),
      expect.stringMatching(
        /^\s+Warning\s+Synced\s+\S+\s+flagger\s+Halt podinfo.shop advancement success rate 70% < 99%$/,
      ),
    ]),
  );
  // Once the controller has acted (here: the phase moved), no request is pending.
  await setStatus('shop', { ...cd.status, phase: 'Failed', canaryWeight: 0 });
  expect((await edgectl(['canary', 'status', 'podinfo', '-n', 'shop'])).out).not.toContain('Requested:');
});
