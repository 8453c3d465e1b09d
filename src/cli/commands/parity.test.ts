/**
 * The kubectl-parity commands and flags of issue 21 against a real hub app, each compared with what
 * the real kubectl (v1.32) prints against the same hub: get -o jsonpath|custom-columns, --sort-by,
 * label, annotate, patch, api-resources, apply --dry-run|-R|--server-side, delete --force|--wait,
 * logs -l|--since|TYPE/NAME, exec TYPE/NAME, cluster-info, completion, --version.
 */
import { spawn, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:tls';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { typeByName, type KubeObject, type ResourceType } from '../../api/index.js';
import { startTestHub, type TestHub } from '../../hub/testing/index.js';
import { createCa, generateKeyPair, issueCertificate } from '../../pki/index.js';
import { run } from '../main.js';
import { captureIO } from '../testing/index.js';

const KUBECTL = process.env['KUBECTL'] ?? '/usr/bin/kubectl';
const T = (n: string): ResourceType => typeByName(n) as ResourceType;

let hub: TestHub;
let dir: string;
let kubeconfig: string;
let front: Server;

/**
 * kubectl sends a bearer token only over TLS, and the test hub serves plain HTTP: a TLS front on
 * loopback (a throw-away CA, a certificate for 127.0.0.1) passes kubectl's bytes to the hub.
 */
async function tlsFront(target: URL): Promise<{ url: string; caPem: string }> {
  const now = new Date();
  const ca = await createCa({ commonName: 'parity-test-ca', lifetimeSeconds: 3600, now });
  const keys = await generateKeyPair();
  const cert = await issueCertificate({
    ca,
    publicKeyPem: keys.publicKeyPem,
    commonName: 'parity-hub',
    ipAddresses: ['127.0.0.1'],
    usages: ['server'],
    lifetimeSeconds: 3600,
    now,
  });
  front = createServer({ key: keys.privateKeyPem, cert }, (sock) => {
    const up = connect(Number(target.port), target.hostname);
    sock.pipe(up).pipe(sock);
    sock.on('error', () => up.destroy());
    up.on('error', () => sock.destroy());
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  return { url: `https://127.0.0.1:${(front.address() as AddressInfo).port}`, caPem: ca.certPem };
}

interface Ran {
  code: number;
  out: string;
  err: string;
}

async function edgectl(args: string[], stdin?: string): Promise<Ran> {
  const io = captureIO({
    env: { EDGE_SERVER: hub.url, EDGE_TOKEN: hub.adminToken, HOME: dir },
    cwd: dir,
    ...(stdin === undefined ? {} : { stdin }),
  });
  const code = await run(args, io);
  return { code, out: io.out(), err: io.errText() };
}

/** Runs `command` as a process (no stdin) and collects its exit code and output. */
function runProcess(command: string, args: string[], opts: SpawnOptions = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const p = spawn(command, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

/** The real kubectl against the same hub (token in a 0600 kubeconfig, never on the command line). */
function kubectl(args: string[]): Promise<Ran> {
  return runProcess(KUBECTL, ['--kubeconfig', kubeconfig, ...args], {
    cwd: dir,
    env: { PATH: process.env['PATH'] ?? '', HOME: dir },
  });
}

const cm = (name: string, color: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default' },
  data: { color },
});

beforeAll(async () => {
  if (!existsSync(KUBECTL)) throw new Error(`these tests compare with the real kubectl: none at ${KUBECTL}`);
  hub = await startTestHub({ version: 'v0.1.0-parity' });
  dir = await mkdtemp(join(tmpdir(), 'edgectl-parity-'));
  kubeconfig = join(dir, 'kubeconfig');
  const tls = await tlsFront(new URL(hub.url));
  await writeFile(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'hub',
          cluster: { server: tls.url, 'certificate-authority-data': Buffer.from(tls.caPem).toString('base64') },
        },
      ],
      users: [{ name: 'admin', user: { token: hub.adminToken } }],
      contexts: [{ name: 'hub', context: { cluster: 'hub', user: 'admin', namespace: 'default' } }],
      'current-context': 'hub',
    }),
    { mode: 0o600 },
  );
  for (const [name, color] of [
    ['cm-2', 'red'],
    ['cm-10', 'blue'],
    ['cm-1', 'red'],
  ] as const)
    await hub.api.create(T('cm'), cm(name, color));
});
afterAll(async () => {
  front.close();
  await hub.close();
  await rm(dir, { recursive: true, force: true });
});

/** Runs the same arguments through both and expects the same exit code and stdout. */
async function same(args: string[]): Promise<string> {
  const [mine, theirs] = [await edgectl(args), await kubectl(args)];
  expect({ code: mine.code, out: mine.out }, `edgectl ${args.join(' ')}: ${mine.err}`).toEqual({
    code: theirs.code,
    out: theirs.out,
  });
  return mine.out;
}

describe('get output formats, as kubectl prints them', () => {
  it('-o jsonpath over a list, a range, a filter and one object', async () => {
    expect(await same(['get', 'cm', '-o', 'jsonpath={.items[*].metadata.name}'])).toBe('cm-1 cm-10 cm-2');
    await same(['get', 'cm', '-o', 'jsonpath={range .items[*]}{.metadata.name}{"\\t"}{.data.color}{"\\n"}{end}']);
    expect(await same(['get', 'cm', '-o', 'jsonpath={.items[?(@.data.color=="red")].metadata.name}'])).toBe(
      'cm-1 cm-2',
    );
    expect(await same(['get', 'cm', 'cm-10', '-o', 'jsonpath={.data}'])).toBe('{"color":"blue"}');
    await same(['get', 'cm', 'cm-10', '-o', 'jsonpath-as-json={.metadata.name}']);
  });

  it('-o custom-columns, with <none> for a missing field, and --no-headers', async () => {
    const out = await same(['get', 'cm', '-o', 'custom-columns=NAME:.metadata.name,COLOR:.data.color,X:.data.none']);
    expect(out.split('\n')[0]).toMatch(/^NAME +COLOR +X$/);
    expect(out).toContain('<none>');
    await same(['get', 'cm', '--no-headers', '-o', 'custom-columns=NAME:metadata.name,COLOR:{.data.color}']);
  });

  it('--sort-by on strings (byte order, as kubectl) and on a data field', async () => {
    expect(await same(['get', 'cm', '--sort-by=.metadata.name', '-o', 'name'])).toBe(
      'configmap/cm-1\nconfigmap/cm-10\nconfigmap/cm-2\n',
    );
    await same(['get', 'cm', '--sort-by={.data.color}', '-o', 'custom-columns=N:.metadata.name']);
  });

  it('an unknown -o format names the allowed ones', async () => {
    const r = await edgectl(['get', 'cm', '-o', 'nope']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('allowed formats are: custom-columns,custom-columns-file,json,jsonpath,');
  });
});

describe('label, annotate and patch', () => {
  it('label sets, refuses to overwrite without --overwrite, removes: the same lines as kubectl', async () => {
    // edgectl works on cm-1, kubectl on cm-2: the messages must match once the names are swapped.
    const steps = [['tier=web'], ['tier=db'], ['tier=db', '--overwrite'], ['tier-'], ['tier-']];
    for (const step of steps) {
      const mine = await edgectl(['label', 'cm', 'cm-1', ...step]);
      const theirs = await kubectl(['label', 'cm', 'cm-2', ...step]);
      expect({ code: mine.code, out: mine.out, err: mine.err.replace('cm-1', 'cm-2') }).toEqual({
        code: theirs.code,
        out: theirs.out.replace('cm-2', 'cm-1'),
        err: theirs.err,
      });
    }
    const obj = await hub.api.get(T('cm'), 'default', 'cm-1');
    expect(obj.metadata.labels ?? {}).toEqual({});
  });

  it('label -l and annotate by TYPE/NAME', async () => {
    expect((await edgectl(['label', 'cm', '-l', 'missing!=x', 'batch=1'])).out).toContain('configmap/cm-10 labeled');
    const mine = await edgectl(['annotate', 'configmap/cm-1', 'note=hello world']);
    const theirs = await kubectl(['annotate', 'configmap/cm-2', 'note=hello world']);
    expect(mine.out).toBe(theirs.out.replace('cm-2', 'cm-1'));
    expect((await hub.api.get(T('cm'), 'default', 'cm-1')).metadata.annotations).toMatchObject({
      note: 'hello world',
    });
  });

  it('patch: strategic (default), merge and json, and "(no change)"', async () => {
    for (const [args, name] of [
      [['-p', '{"data":{"color":"green"}}'], 'a'],
      [['-p', '{"data":{"color":"green"}}'], 'b'],
      [['--type', 'merge', '-p', '{"data":{"size":"L"}}'], 'c'],
      [['--type', 'json', '-p', '[{"op":"remove","path":"/data/size"}]'], 'd'],
    ] as const) {
      const mine = await edgectl(['patch', 'cm', 'cm-1', ...args]);
      const theirs = await kubectl(['patch', 'cm', 'cm-2', ...args]);
      expect({ step: name, code: mine.code, out: mine.out }).toEqual({
        step: name,
        code: theirs.code,
        out: theirs.out.replace('cm-2', 'cm-1'),
      });
    }
    expect((await hub.api.get<KubeObject & { data?: unknown }>(T('cm'), 'default', 'cm-1')).data).toEqual({
      color: 'green',
    });
  });
});

describe('discovery and the hub', () => {
  it('api-resources prints what kubectl prints, also with --namespaced=false and -o name', async () => {
    const out = await same(['api-resources']);
    expect(out.split('\n')[0]).toMatch(/^NAME +SHORTNAMES +APIVERSION +NAMESPACED +KIND$/);
    expect(out).toMatch(/\ndeployments +deploy +apps\/v1 +true +Deployment\n/);
    await same(['api-resources', '--namespaced=false']);
    await same(['api-resources', '-o', 'name']);
    await same(['api-resources', '--api-group=apps']);
  });

  it('cluster-info says where the hub runs; --version prints the client version', async () => {
    expect((await edgectl(['cluster-info'])).out).toContain(`Edgeplane hub (v0.1.0-parity) is running at ${hub.url}\n`);
    expect(await edgectl(['--version'])).toEqual({ code: 0, out: 'Client Version: v0.1.0\n', err: '' });
  });
});

describe('apply --dry-run, -R, --server-side', () => {
  const deploy = (name: string): string => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: app, image: "registry.example/app:1"}]}
`;

  it('dry runs print what kubectl prints and store nothing', async () => {
    await writeFile(join(dir, 'dry.yaml'), deploy('dry'));
    for (const mode of ['client', 'server']) await same(['apply', '--dry-run=' + mode, '-f', 'dry.yaml']);
    expect(await edgectl(['get', 'deploy', 'dry'])).toMatchObject({ code: 1 });
  });

  it('-R reads subdirectories; --server-side reports serverside-applied', async () => {
    await mkdir(join(dir, 'tree', 'sub'), { recursive: true });
    await writeFile(join(dir, 'tree', 'a.yaml'), deploy('tree-a'));
    await writeFile(join(dir, 'tree', 'sub', 'b.yaml'), deploy('tree-b'));
    expect((await edgectl(['apply', '-f', 'tree'])).out).toBe('deployment.apps/tree-a created\n');
    expect((await edgectl(['apply', '-R', '-f', 'tree'])).out).toBe(
      'deployment.apps/tree-a unchanged\ndeployment.apps/tree-b created\n',
    );
    const ssa = await edgectl(['apply', '--server-side', '-f', 'tree/a.yaml']);
    expect(ssa).toMatchObject({ code: 0, out: 'deployment.apps/tree-a serverside-applied\n' });
  });
});

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
      const a = await edgectl(mine);
      const b = await kubectl(theirs);
      expect({ code: a.code, out: a.out }).toEqual({ code: b.code, out: b.out.replace('-k', '-e') });
    }
    type D = KubeObject & { spec: { replicas: number; template: { spec: { containers: unknown[] } } } };
    const [e, k] = [
      await hub.api.get<D>(T('deploy'), 'default', 'web-e'),
      await hub.api.get<D>(T('deploy'), 'default', 'web-k'),
    ];
    expect(e.spec.replicas).toBe(k.spec.replicas);
    expect(e.spec.template.spec.containers).toEqual(k.spec.template.spec.containers);
    expect(e.metadata.labels).toEqual({ app: 'web-e' });
    type J = KubeObject & {
      spec: { template: { spec: { containers: { command?: string[] }[]; restartPolicy: string } } };
    };
    const job = await hub.api.get<J>(T('job'), 'default', 'once-e');
    const kjob = await hub.api.get<J>(T('job'), 'default', 'once-k');
    expect(job.spec.template.spec.containers[0]?.command).toEqual(kjob.spec.template.spec.containers[0]?.command);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
  });
});

describe('run', () => {
  it('creates one pod shaped as kubectl run shapes it (run=NAME, args after --, --env, --port, --restart)', async () => {
    const flags = ['--image=registry.example/tool:1', '--env=A=1', '--port=8080', '--restart=Never', '--', 'x', 'y'];
    expect(await edgectl(['run', 'one-e', ...flags])).toEqual({ code: 0, out: 'pod/one-e created\n', err: '' });
    // kubectl's own pod (with spec.dnsPolicy: ClusterFirst) is accepted too, and the two agree.
    expect(await kubectl(['run', 'one-k', ...flags])).toMatchObject({ code: 0, out: 'pod/one-k created\n' });
    type P = KubeObject & {
      spec: { containers: Record<string, unknown>[]; restartPolicy: string; dnsPolicy?: string };
    };
    const e = await hub.api.get<P>(T('po'), 'default', 'one-e');
    const k = await hub.api.get<P>(T('po'), 'default', 'one-k');
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
    const a = await edgectl(['create', 'service', kind, `cs-${kind}-e`, ...flags]);
    const b = await kubectl([
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
      await hub.api.get<S>(T('svc'), 'default', `cs-${kind}-e`),
      await hub.api.get<S>(T('svc'), 'default', `cs-${kind}-k`),
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
    const a = await edgectl(['create', 'service', 'clusterip', 'cs-none']);
    const b = await kubectl(['create', 'service', 'clusterip', 'cs-none']);
    expect(a.code).toBe(1);
    expect(b.code).toBe(1);
    expect(b.err).toContain('at least one tcp port specifier must be provided');
    expect(a.err).toContain('at least one tcp port specifier must be provided');
  });
});

describe('expose', () => {
  it("makes a Service selecting what the deployment selects, with kubectl expose's line and spec", async () => {
    const a = await edgectl(['expose', 'deploy/web-e', '--port=80', '--target-port=8080', '--name=web-svc-e']);
    const b = await kubectl(['expose', 'deploy/web-e', '--port=80', '--target-port=8080', '--name=web-svc-k']);
    expect({ code: a.code, out: a.out }, b.err).toEqual({ code: b.code, out: b.out.replace('web-svc-k', 'web-svc-e') });
    type S = KubeObject & { spec: { selector: unknown; ports: unknown[]; type?: string } };
    const [e, k] = [
      await hub.api.get<S>(T('svc'), 'default', 'web-svc-e'),
      await hub.api.get<S>(T('svc'), 'default', 'web-svc-k'),
    ];
    expect(e.spec.selector).toEqual({ app: 'web-e' });
    expect(e.spec.selector).toEqual(k.spec.selector);
    expect(e.spec.ports).toEqual(k.spec.ports);
    expect(e.metadata.labels).toEqual(k.metadata.labels);
  });
});

describe('wait', () => {
  it('--for=condition and --for=jsonpath print what kubectl prints; a timeout fails the same way', async () => {
    const d = await hub.api.get(T('deploy'), 'default', 'tree-a');
    await hub.api.updateStatus(T('deploy'), {
      ...d,
      status: { replicas: 1, conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }] },
    });
    await same(['wait', 'deploy/tree-a', '--for=condition=Available', '--timeout=5s']);
    await same(['wait', 'deploy', 'tree-a', '--for=jsonpath={.spec.replicas}=1', '--timeout=5s']);
    const mine = await edgectl(['wait', 'deploy/tree-a', '--for=condition=Progressing', '--timeout=1s']);
    const theirs = await kubectl(['wait', 'deploy/tree-a', '--for=condition=Progressing', '--timeout=1s']);
    expect(mine).toEqual({ code: theirs.code, out: theirs.out, err: theirs.err });
  });

  it('returns when a watched change meets the condition', async () => {
    const seen = hub.requests.length;
    const waiting = edgectl(['wait', 'cm/cm-10', '--for=jsonpath={.data.color}=purple', '--timeout=20s']);
    await until(() =>
      hub.requests.slice(seen).some((r) => r.includes('watch=true') && r.includes('metadata.name%3Dcm-10')),
    );
    const cur = await hub.api.get<KubeObject & { data?: Record<string, string> }>(T('cm'), 'default', 'cm-10');
    await hub.api.update(T('cm'), { ...cur, data: { color: 'purple' } });
    expect(await waiting).toEqual({ code: 0, out: 'configmap/cm-10 condition met\n', err: '' });
  });
});

describe('delete --force and --wait', () => {
  it('--force --grace-period=0 warns and says "force deleted", as kubectl', async () => {
    await hub.api.create(T('cm'), cm('gone-1', 'x'));
    await hub.api.create(T('cm'), cm('gone-2', 'x'));
    const mine = await edgectl(['delete', 'cm', 'gone-1', '--force', '--grace-period=0']);
    const theirs = await kubectl(['delete', 'cm', 'gone-2', '--force', '--grace-period=0']);
    expect(mine).toEqual({ code: 0, out: theirs.out.replace('gone-2', 'gone-1'), err: theirs.err });
  });

  it("waits by default (kubectl's --wait=true) until a finalizer is gone; --timeout ends it with kubectl wording", async () => {
    const held = {
      ...cm('held', 'x'),
      metadata: { name: 'held', namespace: 'default', finalizers: ['edgeplane.io/test'] },
    };
    await hub.api.create(T('cm'), held);
    const timedOut = await edgectl(['delete', 'cm', 'held', '--timeout=1s']);
    expect(timedOut).toMatchObject({ code: 1, out: 'configmap "held" deleted\n' });
    expect(timedOut.err).toBe('error: timed out waiting for the condition on configmaps/held\n');

    let done = false;
    const seen = hub.requests.length;
    const waiting = edgectl(['delete', 'cm', 'held', '--ignore-not-found']).then((r) => {
      done = true;
      return r;
    });
    // The wait is open on the hub (a watch of that name) before the finalizer goes.
    await until(() =>
      hub.requests.slice(seen).some((r) => r.includes('watch=true') && r.includes('metadata.name%3Dheld')),
    );
    expect(done).toBe(false);
    const cur = await hub.api.get(T('cm'), 'default', 'held');
    await hub.api.update(T('cm'), { ...cur, metadata: { ...cur.metadata, finalizers: [] } });
    expect(await waiting).toMatchObject({ code: 0, out: 'configmap "held" deleted\n' });
  });

  it('--wait=false returns at once while a finalizer holds the object, as kubectl', async () => {
    const held = (name: string): KubeObject => ({
      ...cm(name, 'x'),
      metadata: { name, namespace: 'default', finalizers: ['edgeplane.io/test'] },
    });
    await hub.api.create(T('cm'), held('kept-1'));
    await hub.api.create(T('cm'), held('kept-2'));
    const mine = await edgectl(['delete', 'cm', 'kept-1', '--wait=false']);
    const theirs = await kubectl(['delete', 'cm', 'kept-2', '--wait=false']);
    expect(mine).toEqual({ code: 0, out: theirs.out.replace('kept-2', 'kept-1'), err: theirs.err });
    for (const name of ['kept-1', 'kept-2']) {
      const cur = await hub.api.get(T('cm'), 'default', name);
      expect(cur.metadata.deletionTimestamp).toBeTruthy();
      await hub.api.update(T('cm'), { ...cur, metadata: { ...cur.metadata, finalizers: [] } });
    }
  });
});

describe('logs and exec by TYPE/NAME and selector', () => {
  const pod = (name: string, app: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app } },
    spec: { containers: [{ name: 'main', image: 'registry.example/app:1' }] },
  });

  beforeAll(async () => {
    const job = await hub.api.create<KubeObject & { spec: { selector?: { matchLabels?: Record<string, string> } } }>(
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
      const p = pod(name, 'worker');
      await hub.api.create(T('po'), { ...p, metadata: { ...p.metadata, labels } });
    }
    hub.logs.set('default/worker-a', 'a1\na2\n');
    hub.logs.set('default/worker-b', 'b1\n');
  });

  it('logs -l --prefix reads every matching pod, --tail 10 by default, --since as sinceSeconds', async () => {
    const r = await edgectl(['logs', '-l', 'app=worker', '--prefix', '--since=2m']);
    expect(r.out).toBe('[pod/worker-a/main] a1\n[pod/worker-a/main] a2\n[pod/worker-b/main] b1\n');
    expect(hub.requests).toContain('GET /api/v1/namespaces/default/pods/worker-a/log?tailLines=10&sinceSeconds=120');
  });

  it('logs job/NAME picks one of its pods, and says which', async () => {
    const r = await edgectl(['logs', 'job/worker']);
    expect(r.err).toMatch(/^Found 2 pods, using pod\/worker-[ab]\n$/);
    expect(['a1\na2\n', 'b1\n']).toContain(r.out);
  });

  it('exec job/NAME runs in one of its pods', async () => {
    await edgectl(['exec', 'job/worker', '--', 'true']);
    expect(hub.requests.some((r) => /^POST \/api\/v1\/namespaces\/default\/pods\/worker-[ab]\/exec\?/.test(r))).toBe(
      true,
    );
  });

  it('logs refuses --since with --since-time, and a bad --since', async () => {
    expect((await edgectl(['logs', 'worker-a', '--since=1m', '--since-time=2024-01-01T00:00:00Z'])).code).toBe(1);
    expect((await edgectl(['logs', 'worker-a', '--since=soon'])).err).toContain(
      'invalid argument "soon" for "--since"',
    );
  });
});

describe('completion', () => {
  it('bash: completes commands, subcommands, resource types and flags in a real bash', async () => {
    const script = (await edgectl(['completion', 'bash'])).out;
    await writeFile(join(dir, 'edgectl.bash'), script);
    const complete = (line: string): Promise<Ran> => {
      const words = line.split(' ');
      return runProcess('bash', [
        '-c',
        `source ${join(dir, 'edgectl.bash')}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _edgectl; printf '%s\\n' "\${COMPREPLY[@]}"`,
      ]);
    };
    expect((await complete('edgectl ap')).out.split('\n')).toEqual(expect.arrayContaining(['apply', 'api-resources']));
    expect((await complete('edgectl get depl')).out).toBe('deployments\ndeploy\n');
    expect((await complete('edgectl rollout st')).out).toBe('status\n');
    expect((await complete('edgectl get pods --sort')).out).toBe('--sort-by\n');
  });

  it('zsh and fish scripts; an unknown shell is refused', async () => {
    expect((await edgectl(['completion', 'zsh'])).out).toMatch(/^#compdef edgectl\n/);
    expect((await edgectl(['completion', 'fish'])).out).toContain(
      "complete -c edgectl -n '__fish_use_subcommand' -a 'get'",
    );
    expect(await edgectl(['completion', 'tcsh'])).toMatchObject({
      code: 1,
      err: expect.stringContaining('Unsupported shell type "tcsh"') as unknown,
    });
  });
});

/** Polls `cond` until it holds (bounded), without fixed sleeps in the test body. */
async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}
