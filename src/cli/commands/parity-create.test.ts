/**
 * The commands that make objects — `edgectl create namespace|deployment|job`, `run`, `create service`
 * and `expose` — against a real hub, each compared with the real kubectl (v1.32) making a twin object
 * (`-e` names for edgectl, `-k` for kubectl): the same line printed and the same object stored. `expose`
 * exposes the deployment `create deployment` made.
 */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/index.js';
import { T, useParityHub } from '../testing/parity-fixtures.js';

const p = useParityHub();

describe('create namespace|deployment|job', () => {
  it('prints what kubectl prints and stores the objects kubectl would', async () => {
    for (const [mine, theirs] of [
      [
        ['create', 'namespace', 'made-e'],
        ['create', 'namespace', 'made-k'],
      ],
      [
        ['create', 'deployment', 'web-e', '--image=registry.example/web:1', '--replicas=2', '--port=8080'],
        ['create', 'deployment', 'web-k', '--image=registry.example/web:1', '--replicas=2', '--port=8080'],
      ],
      [
        ['create', 'job', 'once-e', '--image=registry.example/tool:1', '--', 'run', '--fast'],
        ['create', 'job', 'once-k', '--image=registry.example/tool:1', '--', 'run', '--fast'],
      ],
    ] as [string[], string[]][]) {
      const a = await p.edgectl(mine);
      const b = await p.kubectl(theirs);
      expect({ code: a.code, out: a.out }).toEqual({ code: b.code, out: b.out.replace('-k', '-e') });
    }
    type D = KubeObject & { spec: { replicas: number; template: { spec: { containers: unknown[] } } } };
    const [e, k] = [
      await p.hub.api.get<D>(T('deploy'), 'default', 'web-e'),
      await p.hub.api.get<D>(T('deploy'), 'default', 'web-k'),
    ];
    expect(e.spec.replicas).toBe(k.spec.replicas);
    expect(e.spec.template.spec.containers).toEqual(k.spec.template.spec.containers);
    expect(e.metadata.labels).toEqual({ app: 'web-e' });
    type J = KubeObject & {
      spec: { template: { spec: { containers: { command?: string[] }[]; restartPolicy: string } } };
    };
    const job = await p.hub.api.get<J>(T('job'), 'default', 'once-e');
    const kjob = await p.hub.api.get<J>(T('job'), 'default', 'once-k');
    expect(job.spec.template.spec.containers[0]?.command).toEqual(kjob.spec.template.spec.containers[0]?.command);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
  });
});

describe('run', () => {
  it('creates one pod shaped as kubectl run shapes it (run=NAME, args after --, --env, --port, --restart)', async () => {
    const flags = ['--image=registry.example/tool:1', '--env=A=1', '--port=8080', '--restart=Never', '--', 'x', 'y'];
    expect(await p.edgectl(['run', 'one-e', ...flags])).toEqual({ code: 0, out: 'pod/one-e created\n', err: '' });
    // kubectl's own pod (with spec.dnsPolicy: ClusterFirst) is accepted too, and the two agree.
    expect(await p.kubectl(['run', 'one-k', ...flags])).toMatchObject({ code: 0, out: 'pod/one-k created\n' });
    type P = KubeObject & {
      spec: { containers: Record<string, unknown>[]; restartPolicy: string; dnsPolicy?: string };
    };
    const e = await p.hub.api.get<P>(T('po'), 'default', 'one-e');
    const k = await p.hub.api.get<P>(T('po'), 'default', 'one-k');
    expect(e.metadata.labels).toEqual({ run: 'one-e' });
    expect(k.metadata.labels).toEqual({ run: 'one-k' });
    expect(e.spec.restartPolicy).toBe(k.spec.restartPolicy);
    expect(k.spec.dnsPolicy).toBe('ClusterFirst');
    expect(e.spec.dnsPolicy).toBe(k.spec.dnsPolicy);
    const kc: Record<string, unknown> = { ...k.spec.containers[0], name: 'one-e' };
    delete kc['resources'];
    expect(e.spec.containers[0]).toMatchObject(kc);
  });
});

describe('create service', () => {
  type S = KubeObject & { spec: { selector: unknown; ports: { nodePort?: number }[]; type?: string } };
  it.each([
    ['clusterip', ['--tcp=80:8080', '--tcp=443']],
    ['nodeport', ['--tcp=80:8080', '--node-port=30080']],
  ])('%s: the Service kubectl create service makes, and its line', async (kind, flags) => {
    const nodePort = kind === 'nodeport' ? ['--node-port=30081'] : [];
    const a = await p.edgectl(['create', 'service', kind, `cs-${kind}-e`, ...flags]);
    const b = await p.kubectl([
      'create',
      'service',
      kind,
      `cs-${kind}-k`,
      ...flags.filter((f) => !f.startsWith('--node-port')),
      ...nodePort,
    ]);
    expect({ code: a.code, out: a.out }, b.err).toEqual({
      code: b.code,
      out: b.out.replace(`cs-${kind}-k`, `cs-${kind}-e`),
    });
    const [e, k] = [
      await p.hub.api.get<S>(T('svc'), 'default', `cs-${kind}-e`),
      await p.hub.api.get<S>(T('svc'), 'default', `cs-${kind}-k`),
    ];
    expect(e.metadata.labels).toEqual({ app: `cs-${kind}-e` });
    expect(k.metadata.labels).toEqual({ app: `cs-${kind}-k` });
    expect(e.spec.selector).toEqual({ app: `cs-${kind}-e` });
    expect(e.spec.type).toBe(k.spec.type);
    // The same ports but for the node port each asked for.
    expect(e.spec.ports.map((p) => ({ ...p, nodePort: undefined }))).toEqual(
      k.spec.ports.map((p) => ({ ...p, nodePort: undefined })),
    );
    if (kind === 'nodeport') expect([e.spec.ports[0]?.nodePort, k.spec.ports[0]?.nodePort]).toEqual([30080, 30081]);
  });

  it('needs a port, as kubectl does', async () => {
    const a = await p.edgectl(['create', 'service', 'clusterip', 'cs-none']);
    const b = await p.kubectl(['create', 'service', 'clusterip', 'cs-none']);
    expect(a.code).toBe(1);
    expect(b.code).toBe(1);
    expect(b.err).toContain('at least one tcp port specifier must be provided');
    expect(a.err).toContain('at least one tcp port specifier must be provided');
  });
});

describe('expose', () => {
  it("makes a Service selecting what the deployment selects, with kubectl expose's line and spec", async () => {
    const a = await p.edgectl(['expose', 'deploy/web-e', '--port=80', '--target-port=8080', '--name=web-svc-e']);
    const b = await p.kubectl(['expose', 'deploy/web-e', '--port=80', '--target-port=8080', '--name=web-svc-k']);
    expect({ code: a.code, out: a.out }, b.err).toEqual({ code: b.code, out: b.out.replace('web-svc-k', 'web-svc-e') });
    type S = KubeObject & { spec: { selector: unknown; ports: unknown[]; type?: string } };
    const [e, k] = [
      await p.hub.api.get<S>(T('svc'), 'default', 'web-svc-e'),
      await p.hub.api.get<S>(T('svc'), 'default', 'web-svc-k'),
    ];
    expect(e.spec.selector).toEqual({ app: 'web-e' });
    expect(e.spec.selector).toEqual(k.spec.selector);
    expect(e.spec.ports).toEqual(k.spec.ports);
    expect(e.metadata.labels).toEqual(k.metadata.labels);
  });
});
