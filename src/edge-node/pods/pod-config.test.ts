import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConfigObject, Pod, PodRef, PodStatus } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { NodeConfig } from '../config/index.js';
import { testPod, waitFor } from '../testing/fake-hub.js';
import { FakeRuntime } from '../testing/fake-runtime.js';
import { testPodWorkers } from '../testing/test-pod-workers.js';
import type { PodWorkers } from './pod-workers.js';

let dir: string;
let runDir: string;
let workers: PodWorkers | undefined;
const reports: Array<{ pod: PodRef; status: PodStatus }> = [];
const events: Array<{ reason: string; message: string }> = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'edge-pod-config-'));
  // A tmpfs, as the node's run dir must be.
  runDir = await mkdtemp('/dev/shm/edge-pod-config-run-');
  reports.length = 0;
  events.length = 0;
});
afterEach(async () => {
  await workers?.stop();
  workers = undefined;
  await rm(dir, { recursive: true, force: true });
  await rm(runDir, { recursive: true, force: true });
});

const enc = (s: string) => new TextEncoder().encode(s);
const obj = (kind: ConfigObject['kind'], name: string, rv: string, data: Record<string, string>): ConfigObject => ({
  kind,
  namespace: 'default',
  name,
  uid: `uid-${name}`,
  resourceVersion: rv,
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, enc(v)])),
});
const last = (name: string) => reports.filter((r) => r.pod.name === name).at(-1)?.status;

async function setup() {
  const rt = new FakeRuntime();
  const config = await NodeConfig.create({ dataDir: dir, runDir, logger: silentLogger() });
  const w = await testPodWorkers(dir, [rt], {
    config,
    reportStatus: (pods) => (reports.push(...pods), true),
    reportEvent: (_pod, _type, reason, message) => void events.push({ reason, message }),
  });
  config.onChange((keys) => w.configChanged(keys));
  workers = w;
  return { rt, config, workers: w };
}

function configPod(name: string): Pod {
  const pod = testPod(name, { env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'creds', key: 'token' } } }] });
  pod.spec.volumes = [{ name: 'cfg', configMap: { name: 'settings' } }];
  const c = pod.spec.containers[0]!;
  c.envFrom = [{ configMapRef: { name: 'settings' }, prefix: 'CFG_' }];
  c.volumeMounts = [{ name: 'cfg', mountPath: '/etc/app' }];
  return pod;
}

describe('pod workers with ConfigMaps and Secrets', () => {
  it('waits in CreateContainerConfigError naming what is missing, then starts as the objects arrive', async () => {
    const { rt, config, workers } = await setup();
    workers.upsert(configPod('web'));
    await waitFor(
      () => last('web')?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError',
      5000,
      'config error',
    );
    expect(last('web')?.containerStatuses?.[0]?.state?.waiting?.message).toBe(
      'MountVolume.SetUp failed for volume "cfg" : configmap "settings" not found',
    );
    await config.handle({
      type: 'configSync',
      objects: [obj('ConfigMap', 'settings', '1', { greeting: 'hi' })],
      more: true,
    });
    expect(rt.running('web')).toEqual([]); // a split sync applies once its last part is in
    await config.handle({ type: 'configSync', objects: [] });
    await waitFor(
      () => last('web')?.containerStatuses?.[0]?.state?.waiting?.message === 'secret "creds" not found',
      5000,
      'secret missing',
    );
    await config.handle({ type: 'configUpsert', object: obj('Secret', 'creds', '1', { token: 's3cr3t' }) });
    const c = await waitFor(() => rt.running('web')[0], 5000, 'started');
    expect(c.config.env).toMatchObject({ TOKEN: 's3cr3t', CFG_greeting: 'hi' });
    expect(c.config.config).toEqual({ CFG_greeting: 'hi' });
    const mount = c.config.mounts?.[0];
    expect(mount).toMatchObject({ volume: 'cfg', containerPath: '/etc/app', readOnly: true });
    expect(await readFile(path.join(mount!.hostPath, 'greeting'), 'utf8')).toBe('hi');
    expect(events.filter((e) => e.reason === 'Failed').map((e) => e.message)).toEqual([
      'Error: MountVolume.SetUp failed for volume "cfg" : configmap "settings" not found',
      'Error: secret "creds" not found',
    ]);

    // A changed ConfigMap reaches the mounted file of the running container; env does not change.
    await config.handle({ type: 'configUpsert', object: obj('ConfigMap', 'settings', '2', { greeting: 'hello' }) });
    await vi.waitFor(async () => expect(await readFile(path.join(mount!.hostPath, 'greeting'), 'utf8')).toBe('hello'), {
      timeout: 5000,
      interval: 20,
    });
    expect(rt.running('web')[0]?.config.id).toBe(c.config.id);

    // The pod's volumes go with it.
    workers.delete({ namespace: 'default', name: 'web', uid: 'uid-web' });
    await vi.waitFor(
      async () => expect(await readFile(path.join(mount!.hostPath, 'greeting')).catch(() => 'gone')).toBe('gone'),
      { timeout: 5000, interval: 20 },
    );
  });

  it('evicts a pod whose emptyDir passes its sizeLimit', async () => {
    const rt = new FakeRuntime();
    const config = await NodeConfig.create({ dataDir: dir, runDir, logger: silentLogger() });
    workers = await testPodWorkers(dir, [rt], {
      config,
      volumeCheckMs: 50,
      reportStatus: (pods) => (reports.push(...pods), true),
      reportEvent: (_pod, _type, reason, message) => void events.push({ reason, message }),
    });
    const pod = testPod('filler');
    pod.spec.volumes = [{ name: 'scratch', emptyDir: { sizeLimit: '4Ki' } }];
    pod.spec.containers[0]!.volumeMounts = [{ name: 'scratch', mountPath: '/scratch' }];
    workers.upsert(pod);
    const c = await waitFor(() => rt.running('filler')[0], 5000, 'started');
    await writeFile(path.join(c.config.mounts![0]!.hostPath, 'blob'), Buffer.alloc(64 * 1024, 1));
    await waitFor(() => last('filler')?.reason === 'Evicted', 5000, 'evicted');
    expect(last('filler')).toMatchObject({
      phase: 'Failed',
      message: 'Usage of EmptyDir volume "scratch" exceeds the limit "4Ki".',
    });
    expect(rt.running('filler')).toEqual([]);
  });
});
