import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { typeByName, type Deployment, type KubeObject, type Pod, type ResourceType } from '../api/index.js';
import { run } from './main.js';
import { startTestHub, type TestHub } from '../hub/testing/index.js';
import { captureIO } from './testing/index.js';

const T = (n: string): ResourceType => typeByName(n) as ResourceType;
const MANIFEST = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello
  namespace: demo
spec:
  replicas: 2
  selector: {matchLabels: {app: hello}}
  template:
    metadata: {labels: {app: hello}}
    spec:
      containers:
      - name: hello
        image: ./dist/hello.wasm
---
apiVersion: v1
kind: Namespace
metadata: {name: demo}
`;

let hub: TestHub;

/** Creates `obj`, or updates it when it exists; `status` is written through the status subresource. */
async function put(type: ResourceType, obj: KubeObject): Promise<void> {
  const { status, ...rest } = obj as KubeObject & { status?: unknown };
  const cur = await hub.api.get(type, obj.metadata.namespace, obj.metadata.name ?? '').catch(() => undefined);
  const stored = cur ?? (await hub.api.create(type, rest));
  if (status !== undefined) await hub.api.updateStatus(type, { ...stored, status });
}
let dir: string;
let env: Record<string, string>;

async function edgectl(
  argv: string[],
  opts: { stdin?: string; signal?: AbortSignal } = {},
): Promise<{ code: number; out: string; err: string }> {
  const io = captureIO({ env, cwd: dir, ...opts });
  const code = await run(argv, io);
  return { code, out: io.out(), err: io.errText() };
}

beforeAll(async () => {
  // No `default` namespace: the listings below show only what the test applied.
  hub = await startTestHub({ version: 'v0.1.0-fake', defaultNamespace: false });
  dir = await mkdtemp(join(tmpdir(), 'edgectl-e2e-'));
  env = { EDGE_SERVER: hub.url, EDGE_TOKEN: hub.adminToken, HOME: dir };
  await import('node:fs/promises').then((fs) => fs.mkdir(join(dir, 'dist')));
  await writeFile(join(dir, 'dist', 'hello.wasm'), 'component bytes');
  await writeFile(join(dir, 'app.yaml'), MANIFEST);
});
afterAll(() => hub.close());

describe('edgectl against a hub', () => {
  it('apply creates (namespaces first, reported in file order), then reports unchanged, then configured', async () => {
    const first = await edgectl(['apply', '-f', 'app.yaml']);
    expect(first).toMatchObject({ code: 0, out: 'deployment.apps/hello created\nnamespace/demo created\n', err: '' });
    expect(await hub.blobs.list()).toHaveLength(1);
    const image = (await hub.api.get<Deployment>(T('deploy'), 'demo', 'hello')).spec.template.spec.containers[0]?.image;
    expect(image).toMatch(/^edgeplane\.hub\/hello\.wasm@sha256:[0-9a-f]{64}$/);

    const again = await edgectl(['apply', '-f', 'app.yaml']);
    expect(again.out).toBe('deployment.apps/hello unchanged\nnamespace/demo unchanged\n');

    const changed = await edgectl(['apply', '-f', '-'], { stdin: MANIFEST.replace('replicas: 2', 'replicas: 3') });
    expect(changed.out).toBe('deployment.apps/hello configured\nnamespace/demo unchanged\n');
    expect((await hub.api.get<Deployment>(T('deploy'), 'demo', 'hello')).spec.replicas).toBe(3);
  });

  it('apply refuses an invalid manifest before writing anything, naming file, document and field', async () => {
    await writeFile(
      join(dir, 'bad.yaml'),
      MANIFEST.replace('replicas: 2', 'replicas: -1').replace('name: demo', 'name: other'),
    );
    const before = hub.requests.length;
    const r = await edgectl(['apply', '-f', 'bad.yaml']);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      'error: error validating "bad.yaml" (document 1, Deployment "hello")\n* spec.replicas: Invalid value: -1: must be greater than or equal to 0\n',
    );
    expect(hub.requests.slice(before).filter((q) => !q.startsWith('GET'))).toEqual([]);
  });

  it('get prints tables, json lists, single objects and names', async () => {
    const table = await edgectl(['get', 'deployments', '-n', 'demo']);
    expect(table.out).toMatch(/^NAME {4}READY {3}UP-TO-DATE {3}AVAILABLE {3}AGE\nhello {3}0\/3 {5}0 {12}0 {11}\d+s\n$/);
    const list = JSON.parse((await edgectl(['get', 'deploy', '-n', 'demo', '-o', 'json'])).out) as {
      kind: string;
      items: unknown[];
    };
    expect(list.kind).toBe('List');
    expect(list.items).toHaveLength(1);
    const one = JSON.parse((await edgectl(['get', 'deploy/hello', '-n', 'demo', '-o', 'json'])).out) as KubeObject;
    expect(one.kind).toBe('Deployment');
    expect((await edgectl(['get', 'ns,deploy', '-A', '-o', 'name'])).out).toBe(
      'namespace/demo\ndeployment.apps/hello\n',
    );
    const empty = await edgectl(['get', 'pods', '-n', 'demo']);
    expect(empty).toMatchObject({ code: 0, out: '', err: 'No resources found in demo namespace.\n' });
    const missing = await edgectl(['get', 'pods', 'nope', '-n', 'demo']);
    expect(missing).toMatchObject({ code: 1, err: 'Error from server (NotFound): pods "nope" not found\n' });
    const badType = await edgectl(['get', 'widgets']);
    expect(badType.code).toBe(1);
    expect(badType.err).toContain(`error: the server doesn't have a resource type "widgets"`);
    expect(badType.err).toContain(`See 'edgectl get --help' for usage.`);
  });

  it('get -w prints the table, then a row per change, until interrupted', async () => {
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'hello-1',
        namespace: 'demo',
        labels: { app: 'hello' },
        creationTimestamp: new Date().toISOString(),
      },
      spec: { containers: [{ name: 'hello', image: 'x.wasm' }] },
      status: { phase: 'Pending' },
    };
    await put(T('pods'), pod);
    const ac = new AbortController();
    const io = captureIO({ env, cwd: dir, signal: ac.signal });
    const running = run(['get', 'pods', '-n', 'demo', '-w'], io);
    for (let i = 0; i < 100 && !io.out().includes('Pending'); i++) await sleep(20);
    await put(T('pods'), {
      ...pod,
      status: {
        phase: 'Running',
        containerStatuses: [{ name: 'hello', image: 'x', ready: true, restartCount: 0, state: { running: {} } }],
      },
    });
    for (let i = 0; i < 100 && !io.out().includes('Running'); i++) await sleep(20);
    ac.abort();
    expect(await running).toBe(0);
    const lines = io.out().trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME +READY +STATUS +RESTARTS +AGE$/);
    expect(lines[1]).toMatch(/^hello-1 +0\/1 +Pending +0 +\d+s$/);
    expect(lines[2]).toMatch(/^hello-1 +1\/1 +Running +0 +\d+s$/);
  });

  it('logs (also via deployment/NAME), scale, describe with events', async () => {
    hub.logs.set('demo/hello-1', 'hi from wasm\n');
    expect((await edgectl(['logs', 'hello-1', '-n', 'demo', '--tail', '5'])).out).toBe('hi from wasm\n');
    expect((await edgectl(['logs', 'deployment/hello', '-n', 'demo'])).out).toBe('hi from wasm\n');

    expect((await edgectl(['scale', 'deployment', 'hello', '--replicas', '5', '-n', 'demo'])).out).toBe(
      'deployment.apps/hello scaled\n',
    );
    expect((await hub.api.get<Deployment>(T('deploy'), 'demo', 'hello')).spec.replicas).toBe(5);
    const noCount = await edgectl(['scale', 'deploy/hello', '-n', 'demo']);
    expect(noCount.code).toBe(1);
    expect(noCount.err).toBe("error: --replicas=COUNT is required\nSee 'edgectl scale --help' for usage.\n");

    await put(T('events'), {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'e1', namespace: 'demo' },
      involvedObject: { kind: 'Pod', name: 'hello-1' },
      type: 'Normal',
      reason: 'Scheduled',
      message: 'Successfully assigned demo/hello-1 to pi-1',
      lastTimestamp: new Date().toISOString(),
      source: { component: 'scheduler' },
    });
    await put(T('events'), {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'e2', namespace: 'demo' },
      involvedObject: { kind: 'Pod', name: 'other' },
      reason: 'Other',
    });
    const d = await edgectl(['describe', 'pod', 'hello-1', '-n', 'demo']);
    expect(d.code).toBe(0);
    expect(d.out).toMatch(/^Name: +hello-1\nNamespace: +demo\n/);
    expect(d.out).toMatch(
      /Events:\n {2}Type +Reason +Age +From +Message\n {2}-+ +-+ +-+ +-+ +-+\n {2}Normal +Scheduled +\d+s +scheduler +Successfully assigned demo\/hello-1 to pi-1\n$/,
    );
    expect(d.out).not.toContain('Other');
    // kubectl's Event field labels: type, reason, involvedObject.*.
    await put(T('events'), {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'e3', namespace: 'demo' },
      involvedObject: { kind: 'Pod', name: 'hello-1', apiVersion: 'v1' },
      type: 'Warning',
      reason: 'BackOff',
      message: 'Back-off restarting failed container',
    });
    const names = async (selector: string): Promise<string> => {
      const r = await edgectl(['get', 'events', '-n', 'demo', '--field-selector', selector, '-o', 'name']);
      expect(r.err).toBe('');
      return r.out.split('\n').sort().join('\n').trimStart() + '\n'; // events list oldest first
    };
    expect(await names('type=Warning')).toBe('event/e3\n');
    expect(await names('type!=Warning')).toBe('event/e1\nevent/e2\n');
    expect(await names('reason=Scheduled')).toBe('event/e1\n');
    expect(await names('involvedObject.apiVersion=v1,involvedObject.name=hello-1')).toBe('event/e3\n');
    expect(
      hub.requests.some((r) => r.includes('fieldSelector=involvedObject.name%3Dhello-1%2CinvolvedObject.kind%3DPod')),
    ).toBe(true);
  });

  it('delete passes cascade and grace period, and reports what is missing', async () => {
    // As kubectl: --grace-period=0 alone becomes 1; --force makes it an immediate deletion, with a warning.
    const r = await edgectl([
      'delete',
      'pod',
      'hello-1',
      '--cascade=orphan',
      '--grace-period=0',
      '--force',
      '-n',
      'demo',
    ]);
    expect(r).toMatchObject({
      code: 0,
      out: 'pod "hello-1" force deleted\n',
      err: expect.stringMatching(/^Warning: Immediate deletion does not wait for confirmation/) as unknown,
    });
    expect(hub.requests).toContain(
      'DELETE /api/v1/namespaces/demo/pods/hello-1?propagationPolicy=Orphan&gracePeriodSeconds=0',
    );
    expect(await edgectl(['delete', 'pod', 'hello-1', '-n', 'demo', '--ignore-not-found'])).toMatchObject({
      code: 0,
      out: '',
      err: '',
    });
    expect(await edgectl(['delete', 'pod/hello-1', '-n', 'demo'])).toMatchObject({
      code: 1,
      err: 'Error from server (NotFound): pods "hello-1" not found\n',
    });
    const byFile = await edgectl(['delete', '-f', 'app.yaml']);
    expect(byFile.out).toBe('deployment.apps "hello" deleted\nnamespace "demo" deleted\n');
  });

  it('version, and a clear message when the hub is down', async () => {
    expect((await edgectl(['version'])).out).toBe('Client Version: v0.1.0\nServer Version: v0.1.0-fake\n');
    const io = captureIO({ env: { EDGE_SERVER: 'http://127.0.0.1:1', HOME: dir } });
    expect(await run(['get', 'nodes'], io)).toBe(1);
    expect(io.errText()).toBe('error: cannot reach the hub at http://127.0.0.1:1: connect ECONNREFUSED\n');
  });
});
