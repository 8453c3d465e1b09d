/**
 * `edgectl logs` and `exec` by TYPE/NAME (job/NAME picks one of its pods) and by label selector against
 * a real hub with a Job and its two pods: which pods are read or run in, and the log flags kubectl has
 * (--prefix, --tail 10 by default with -l, --since, --since-time).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/index.js';
import { T, useParityHub } from '../testing/parity-fixtures.js';

const p = useParityHub();

describe('logs and exec by TYPE/NAME and selector', () => {
  const pod = (name: string, app: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app } },
    spec: { containers: [{ name: 'main', image: 'registry.example/app:1' }] },
  });

  beforeAll(async () => {
    const job = await p.hub.api.create<KubeObject & { spec: { selector?: { matchLabels?: Record<string, string> } } }>(
      T('job'),
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'worker', namespace: 'default' },
        spec: {
          template: {
            metadata: { labels: { app: 'worker' } },
            spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'registry.example/app:1' }] },
          },
        },
      },
    );
    // The pods carry what the job selects by (the hub adds its controller-uid), as the job controller's would.
    const labels = { app: 'worker', ...job.spec.selector?.matchLabels };
    for (const name of ['worker-a', 'worker-b']) {
      const manifest = pod(name, 'worker');
      await p.hub.api.create(T('po'), { ...manifest, metadata: { ...manifest.metadata, labels } });
    }
    p.hub.logs.set('default/worker-a', 'a1\na2\n');
    p.hub.logs.set('default/worker-b', 'b1\n');
  });

  it('logs -l --prefix reads every matching pod, --tail 10 by default, --since as sinceSeconds', async () => {
    const r = await p.edgectl(['logs', '-l', 'app=worker', '--prefix', '--since=2m']);
    expect(r.out).toBe('[pod/worker-a/main] a1\n[pod/worker-a/main] a2\n[pod/worker-b/main] b1\n');
    expect(p.hub.requests).toContain('GET /api/v1/namespaces/default/pods/worker-a/log?tailLines=10&sinceSeconds=120');
  });

  it('logs job/NAME picks one of its pods, and says which', async () => {
    const r = await p.edgectl(['logs', 'job/worker']);
    expect(r.err).toMatch(/^Found 2 pods, using pod\/worker-[ab]\n$/);
    expect(['a1\na2\n', 'b1\n']).toContain(r.out);
  });

  it('exec job/NAME runs in one of its pods', async () => {
    await p.edgectl(['exec', 'job/worker', '--', 'true']);
    expect(p.hub.requests.some((r) => /^POST \/api\/v1\/namespaces\/default\/pods\/worker-[ab]\/exec\?/.test(r))).toBe(
      true,
    );
  });

  it('logs refuses --since with --since-time, and a bad --since', async () => {
    expect((await p.edgectl(['logs', 'worker-a', '--since=1m', '--since-time=2024-01-01T00:00:00Z'])).code).toBe(1);
    expect((await p.edgectl(['logs', 'worker-a', '--since=soon'])).err).toContain(
      'invalid argument "soon" for "--since"',
    );
  });
});
