/**
 * The real kubectl (`/usr/bin/kubectl`, v1.32) against a real TLS hub and two nodes running Wasm
 * hello pods: discovery, server-side tables, output formats, selectors, paging, wait, rollout,
 * scale, labels, node maintenance, create (protobuf bodies), delete, top and auth. One cluster for
 * the file; the commands run in sequence and each test asserts output and effects.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, ROOT, kind, until } from './support/cluster.js';
import { kubectl, requireKubectl, writeKubeconfig, type KubectlOptions } from './support/kubectl.js';
import type { Deployment, Node, Pod, ReplicaSet, Service } from '../src/api/index.js';
import { createCa } from '../src/pki/index.js';

const HELLO = join(ROOT, 'examples/wasm-apps/hello/dist/hello.wasm');
const NODES = [
  { name: 'kc-n1', address: '127.0.41.1' },
  { name: 'kc-n2', address: '127.0.41.2' },
];

const deployment = (name: string, replicas: number): string =>
  JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name, image: HELLO, ports: [{ containerPort: 8080 }] }] },
      },
    },
  });

/** The header row of a table output, split on runs of 2+ spaces. */
const header = (out: string): string[] => (out.split('\n')[0] ?? '').trim().split(/\s{2,}/);

describe('kubectl against the hub', () => {
  const cluster = new Cluster();
  /** The hub-written kubeconfig, used as is. */
  const admin = (): string => join(cluster.hubDir, 'admin.kubeconfig');
  const k = async (args: string[], opts?: KubectlOptions) => {
    const r = await kubectl(admin(), args, opts);
    return r;
  };
  /** Runs kubectl and expects exit 0. */
  const ok = async (args: string[], opts?: KubectlOptions): Promise<string> => {
    const r = await k(args, opts);
    expect(r.code, `kubectl ${args.join(' ')}: ${r.err}`).toBe(0);
    return r.out;
  };
  let image = '';

  beforeAll(async () => {
    requireKubectl();
    await cluster.start(NODES);
    const r = await cluster.edgectl(['apply', '-f', '-'], deployment('hello', 2));
    expect(r.code, r.stderr).toBe(0);
    const d = await cluster.client.get<Deployment>(kind('deploy'), 'default', 'hello');
    image = d.spec.template.spec.containers[0]?.image ?? '';
  }, 90_000);

  afterAll(async () => {
    await cluster.stop();
  });

  it('uses the admin kubeconfig as the hub wrote it, and one written for a token', async () => {
    const nodes = await ok(['get', 'nodes']);
    expect(header(nodes)).toEqual(['NAME', 'STATUS', 'ARCH', 'RUNTIMES', 'CPU', 'MEMORY', 'PODS', 'AGE']);
    expect(nodes).toMatch(/^kc-n1\s+Ready\s+/m);
    const own = writeKubeconfig(cluster);
    const r = await kubectl(own, ['get', 'ns', 'default', '-o', 'name']);
    expect(r.out.trim()).toBe('namespace/default');
  });

  it('takes a kubeconfig from edgectl config set-cluster --certificate-authority and view --raw --minify --flatten', async () => {
    const config = join(cluster.dir, 'kc-edgectl-config');
    const tokenFile = join(cluster.dir, 'kc-token');
    writeFileSync(tokenFile, cluster.adminToken, { mode: 0o600 });
    const env = { EDGE_CONFIG: config };
    const set = await cluster.edgectl(
      ['config', 'set-cluster', 'kc', `--server=${cluster.url}`, `--certificate-authority=${cluster.caFile}`],
      undefined,
      env,
    );
    expect({ code: set.code, out: set.stdout, err: set.stderr }).toEqual({
      code: 0,
      out: 'Cluster "kc" set.\n',
      err: '',
    });
    const ctx = await cluster.edgectl(['config', 'set-context', 'kc', `--token-file=${tokenFile}`], undefined, env);
    expect(ctx.code, ctx.stderr).toBe(0);
    // Without --raw the CA and the token are hidden; --flatten embeds the CA file's content.
    const hidden = await cluster.edgectl(['config', 'view', '--minify', '--flatten'], undefined, env);
    expect(hidden.stdout).toContain('certificate-authority-data: DATA+OMITTED');
    expect(hidden.stdout).not.toContain(cluster.adminToken);
    const raw = await cluster.edgectl(['config', 'view', '--raw', '--minify', '--flatten'], undefined, env);
    expect(raw.code, raw.stderr).toBe(0);
    expect(raw.stdout).toContain(`certificate-authority-data: ${readFileSync(cluster.caFile).toString('base64')}`);
    const file = join(cluster.dir, 'kc-from-edgectl.kubeconfig');
    writeFileSync(file, raw.stdout, { mode: 0o600 });
    const got = await kubectl(file, ['get', 'ns', 'default', '-o', 'name']);
    expect({ code: got.code, out: got.out.trim() }).toEqual({ code: 0, out: 'namespace/default' });
  });

  it('discovers resources in two requests (aggregated discovery) with short names and categories', async () => {
    const r = await k(['get', 'po', '-v=6']);
    expect(r.code, r.err).toBe(0);
    const gets = r.err.match(/GET https:\/\/\S+/g) ?? [];
    expect(gets.filter((g) => /\/api\/v1\?|\/apis\/[^/]+\/[^/?]+\?/.test(g))).toEqual([]);
    const res = await ok(['api-resources']);
    expect(res).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    expect(res).toMatch(/^pods\s+po\s+v1\s+true\s+Pod$/m);
    const cats = await ok(['api-resources', '--categories=all', '-o', 'name']);
    expect(cats.split('\n')).toEqual(expect.arrayContaining(['pods', 'services', 'deployments.apps']));
    expect(cats).not.toMatch(/configmaps/);
  });

  it('waits for condition=Available and jsonpath, then prints server-side tables', async () => {
    await ok(['wait', '--for=condition=Available', 'deploy/hello', '--timeout=60s']);
    await ok(['wait', '--for=jsonpath={.status.readyReplicas}=2', 'deployment/hello', '--timeout=60s']);
    const pods = await ok(['get', 'pods']);
    expect(header(pods)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(pods).toMatch(/^hello-\S+\s+1\/1\s+Running\s+0\s+/m);
    const wide = await ok(['get', 'pods', '-o', 'wide']);
    expect(header(wide)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'RUNTIME', 'NODE', 'IP']);
    expect(wide).toMatch(/\swasm\s+kc-n[12]\s+127\.0\.41\.[12]$/m);
    // The same columns edgectl prints.
    const mine = await cluster.edgectl(['get', 'deploy']);
    const theirs = await ok(['get', 'deploy']);
    expect(header(theirs)).toEqual(header(mine.stdout));
    expect(theirs).toMatch(/^hello\s+2\/2\s+2\s+2\s+/m);
    const all = await ok(['get', 'all']);
    expect(all).toMatch(/^pod\/hello-/m);
    expect(all).toMatch(/^deployment\.apps\/hello\s/m);
    expect(all).toMatch(/^replicaset\.apps\/hello-/m);
  });

  it('prints yaml, json, name, jsonpath, custom-columns and go-template', async () => {
    expect(await ok(['get', 'deploy', 'hello', '-o', 'yaml'])).toMatch(/^kind: Deployment$/m);
    const json = JSON.parse(await ok(['get', 'pods', '-o', 'json'])) as { kind: string; items: Pod[] };
    expect(json.kind).toBe('List');
    expect(json.items).toHaveLength(2);
    const names = (await ok(['get', 'pods', '-o', 'name'])).trim().split('\n');
    expect(names.every((n) => n.startsWith('pod/hello-'))).toBe(true);
    const nodes = await ok(['get', 'pods', '-o', 'jsonpath={range .items[*]}{.spec.nodeName}{"\\n"}{end}']);
    expect(nodes.trim().split('\n').sort()).toEqual(json.items.map((p) => p.spec.nodeName).sort() as string[]);
    const cc = await ok(['get', 'pods', '-o', 'custom-columns=NAME:.metadata.name,NODE:.spec.nodeName']);
    expect(header(cc)).toEqual(['NAME', 'NODE']);
    const tpl = await ok(['get', 'deploy', 'hello', '-o', 'go-template={{.spec.replicas}}']);
    expect(tpl).toBe('2');
  });

  it('filters with --selector and --field-selector and pages with --chunk-size', async () => {
    const byLabel = await ok(['get', 'pods', '-l', 'app=hello', '-o', 'name']);
    expect(byLabel.trim().split('\n')).toHaveLength(2);
    expect((await k(['get', 'pods', '-l', 'app=nope'])).err).toMatch(/No resources found/);
    const first = JSON.parse(await ok(['get', 'pods', '-o', 'json'])) as { items: Pod[] };
    const node = first.items[0]?.spec.nodeName ?? '';
    const onNode = await ok(['get', 'pods', '--field-selector', `spec.nodeName=${node}`, '-o', 'name']);
    const want = first.items.filter((p) => p.spec.nodeName === node).map((p) => `pod/${p.metadata.name}`);
    expect(onNode.trim().split('\n').sort()).toEqual(want.sort());
    const paged = await k(['get', 'pods', '--chunk-size=1', '-v=6']);
    expect(paged.code, paged.err).toBe(0);
    expect(paged.out.trim().split('\n')).toHaveLength(3);
    expect(paged.err).toMatch(/pods\?continue=/);
  });

  it('scales, labels, annotates and rolls out (status, restart, history, undo, pause, resume), describes', async () => {
    expect(await ok(['scale', 'deploy/hello', '--replicas=3'])).toMatch(/deployment.apps\/hello scaled/);
    await ok(['rollout', 'status', 'deploy/hello', '--timeout=60s']);
    expect((await cluster.client.list(kind('pods'), { namespace: 'default' })).items).toHaveLength(3);
    expect(await ok(['label', 'deploy', 'hello', 'tier=front'])).toMatch(/labeled/);
    expect(await ok(['get', 'deploy', '-l', 'tier=front', '-o', 'name'])).toBe('deployment.apps/hello\n');
    expect(await ok(['annotate', 'deploy', 'hello', 'team=edge'])).toMatch(/annotated/);
    // A restart makes the second revision (`set image` is in the create test below).
    expect(await ok(['rollout', 'restart', 'deploy/hello'])).toMatch(/restarted/);
    await ok(['rollout', 'status', 'deploy/hello', '--timeout=60s']);
    const restarted = await cluster.client.get<Deployment>(kind('deploy'), 'default', 'hello');
    expect(restarted.spec.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeDefined();
    expect(await ok(['rollout', 'history', 'deploy/hello'])).toMatch(/^1\s.*\n2\s/m);
    expect(await ok(['rollout', 'undo', 'deploy/hello'])).toMatch(/rolled back/);
    await ok(['rollout', 'status', 'deploy/hello', '--timeout=60s']);
    const back = await cluster.client.get<Deployment>(kind('deploy'), 'default', 'hello');
    expect(back.spec.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeUndefined();
    expect(back.spec.template.spec.containers[0]?.image).toBe(image);
    // The undo went back to revision 1's ReplicaSet (now revision 3), not a third one: kubectl writes the
    // template back with `resources: {}` and `creationTimestamp: null`, which are no change.
    const owned = (await cluster.client.list<ReplicaSet>(kind('replicasets'), { namespace: 'default' })).items.filter(
      (rs) => rs.metadata.ownerReferences?.[0]?.name === 'hello',
    );
    expect(owned).toHaveLength(2);
    expect(await ok(['rollout', 'history', 'deploy/hello'])).toMatch(/^2\s.*\n3\s/m);
    expect(await ok(['rollout', 'pause', 'deploy/hello'])).toMatch(/paused/);
    expect((await cluster.client.get<Deployment>(kind('deploy'), 'default', 'hello')).spec.paused).toBe(true);
    expect(await ok(['rollout', 'resume', 'deploy/hello'])).toMatch(/resumed/);
    const described = await ok(['describe', 'deploy', 'hello']);
    expect(described).toMatch(/^Name:\s+hello$/m);
    expect(described).toMatch(/^Replicas:\s+3 desired/m);
  });

  it('rollout history shows the CHANGE-CAUSE the ReplicaSets copy from the Deployment', async () => {
    // Client-side apply, so the Deployment carries a last-applied configuration the ReplicaSets must not copy.
    // The hub image of the hello deployment (edgectl uploaded it; kubectl sends the manifest as it is).
    await ok(['apply', '-f', '-'], {
      stdin: deployment('cause', 1).replace(JSON.stringify(HELLO), JSON.stringify(image)),
    });
    const CAUSE = 'kubernetes.io/change-cause';
    expect(await ok(['annotate', 'deploy', 'cause', `${CAUSE}=first release`])).toMatch(/annotated/);
    await ok(['rollout', 'status', 'deploy/cause', '--timeout=60s']);
    expect(await ok(['rollout', 'restart', 'deploy/cause'])).toMatch(/restarted/);
    await ok(['rollout', 'status', 'deploy/cause', '--timeout=60s']);
    // A later change-cause reaches the current ReplicaSet (revision 2) only.
    await ok(['annotate', 'deploy', 'cause', `${CAUSE}=restart for new config`, '--overwrite']);
    const history = await until('revision 2 carries the new cause', async () => {
      const out = await ok(['rollout', 'history', 'deploy/cause']);
      return /^2\s+restart for new config\s*$/m.test(out) ? out : undefined;
    });
    expect(history).toMatch(/^REVISION\s+CHANGE-CAUSE$/m);
    expect(history).toMatch(/^1\s+first release\s*$/m);
    const two = await ok(['rollout', 'history', 'deploy/cause', '--revision=2']);
    expect(two).toMatch(/^deployment.apps\/cause with revision #2$/m);
    expect(two).toMatch(/kubernetes.io\/change-cause: restart for new config/);
    const one = await ok(['rollout', 'history', 'deploy/cause', '--revision=1']);
    expect(one).toMatch(/kubernetes.io\/change-cause: first release/);
    const d = await cluster.client.get<Deployment>(kind('deploy'), 'default', 'cause');
    expect(d.metadata.annotations).toHaveProperty('kubectl.kubernetes.io/last-applied-configuration');
    const rs = await cluster.client.list<ReplicaSet>(kind('replicasets'), {
      namespace: 'default',
      labelSelector: 'app=cause',
    });
    expect(rs.items).toHaveLength(2);
    for (const r of rs.items)
      expect(r.metadata.annotations).not.toHaveProperty('kubectl.kubernetes.io/last-applied-configuration');
    await ok(['delete', 'deploy', 'cause']);
  });

  it('creates a namespace, configmap, secret and deployment (protobuf bodies) and deletes them', async () => {
    expect(await ok(['create', 'namespace', 'kc-team'])).toBe('namespace/kc-team created\n');
    await ok(['create', 'configmap', 'cfg', '-n', 'kc-team', '--from-literal=a=1', '--from-literal=empty=']);
    await ok(['create', 'secret', 'generic', 'sec', '-n', 'kc-team', '--from-literal=pw=s3cret']);
    await ok(['create', 'deployment', 'made', '-n', 'kc-team', `--image=${image}`, '--replicas=1', '--port=8080']);
    const cm = JSON.parse(await ok(['get', 'cm', 'cfg', '-n', 'kc-team', '-o', 'json'])) as { data: unknown };
    expect(cm.data).toEqual({ a: '1', empty: '' });
    const pw = await ok(['get', 'secret', 'sec', '-n', 'kc-team', '-o', 'jsonpath={.data.pw}']);
    expect(Buffer.from(pw, 'base64').toString()).toBe('s3cret');
    expect(await ok(['get', 'secret', '-n', 'kc-team'])).toMatch(/^sec\s+Opaque\s+1\s+/m);
    await ok(['wait', '--for=condition=Available', 'deploy/made', '-n', 'kc-team', '--timeout=60s']);
    // `set image` sends a strategic merge patch with `$setElementOrder/containers`. The new image need
    // not exist: what is checked is the template the hub stored (one container, its image replaced).
    const newer = 'edgeplane.hub/newer.wasm';
    expect(await ok(['set', 'image', 'deployment/made', `*=${newer}`, '-n', 'kc-team'])).toMatch(/image updated/);
    const made = await cluster.client.get<Deployment>(kind('deploy'), 'kc-team', 'made');
    expect(made.spec.template.spec.containers.map((c) => c.image)).toEqual([newer]);
    const del = k(['wait', '--for=delete', 'deploy/made', '-n', 'kc-team', '--timeout=60s']);
    expect(await ok(['delete', 'deploy', 'made', '-n', 'kc-team'])).toMatch(/deleted/);
    expect((await del).code).toBe(0);
    await ok(['delete', 'namespace', 'kc-team', '--wait=false']);
  });

  it('creates services, a job, tls and docker-registry secrets and RBAC objects (protobuf bodies)', async () => {
    const ns = ['-n', 'kc-typed'];
    await ok(['create', 'namespace', 'kc-typed']);
    expect(await ok(['create', 'service', 'clusterip', 'svc-a', '--tcp=80:8080', ...ns])).toBe(
      'service/svc-a created\n',
    );
    await ok(['create', 'service', 'nodeport', 'svc-b', '--tcp=81:http', ...ns]);
    const svc = (name: string) => cluster.client.get<Service>(kind('services'), 'kc-typed', name);
    expect((await svc('svc-a')).spec).toMatchObject({
      type: 'ClusterIP',
      selector: { app: 'svc-a' },
      ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }],
    });
    expect((await svc('svc-b')).spec).toMatchObject({
      type: 'NodePort',
      ports: [{ port: 81, targetPort: 'http' }],
    });

    expect(await ok(['create', 'job', 'once', `--image=${image}`, ...ns])).toBe('job.batch/once created\n');
    const job = JSON.parse(await ok(['get', 'job', 'once', '-o', 'json', ...ns])) as {
      spec: { template: { spec: { restartPolicy: string; containers: { image: string }[] } } };
    };
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    expect(job.spec.template.spec.containers.map((c) => c.image)).toEqual([image]);

    const ca = await createCa({ commonName: 'kc-tls', lifetimeSeconds: 3600, now: new Date() });
    const crt = join(cluster.dir, 'tls.crt');
    const key = join(cluster.dir, 'tls.key');
    writeFileSync(crt, ca.certPem);
    writeFileSync(key, ca.keyPem, { mode: 0o600 });
    await ok(['create', 'secret', 'tls', 'tls-a', `--cert=${crt}`, `--key=${key}`, ...ns]);
    const tls = JSON.parse(await ok(['get', 'secret', 'tls-a', '-o', 'json', ...ns])) as {
      type: string;
      data: Record<string, string>;
    };
    expect(tls.type).toBe('kubernetes.io/tls');
    expect(Buffer.from(tls.data['tls.crt'] ?? '', 'base64').toString()).toBe(ca.certPem);
    await ok([
      'create',
      'secret',
      'docker-registry',
      'pull',
      '--docker-server=registry.example',
      '--docker-username=u',
      '--docker-password=p',
      ...ns,
    ]);
    expect(await ok(['get', 'secret', 'pull', '-o', 'jsonpath={.type}', ...ns])).toBe('kubernetes.io/dockerconfigjson');

    await ok(['create', 'role', 'reader', '--verb=get,list', '--resource=pods', ...ns]);
    await ok(['create', 'rolebinding', 'reader', '--role=reader', '--user=ann', ...ns]);
    await ok(['create', 'clusterrole', 'kc-nodes', '--verb=get', '--resource=nodes']);
    await ok(['create', 'clusterrolebinding', 'kc-nodes', '--clusterrole=kc-nodes', '--group=ops']);
    // (`auth can-i --as` would ask about ann, but the hub does not implement impersonation yet: checked by reading.)
    const role = JSON.parse(await ok(['get', 'role', 'reader', '-o', 'json', ...ns])) as { rules: unknown[] };
    expect(role.rules).toEqual([{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }]);
    const rb = JSON.parse(await ok(['get', 'rolebinding', 'reader', '-o', 'json', ...ns])) as {
      subjects: unknown[];
      roleRef: unknown;
    };
    expect(rb.subjects).toEqual([{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'ann' }]);
    expect(rb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' });
    const crb = JSON.parse(await ok(['get', 'clusterrolebinding', 'kc-nodes', '-o', 'json'])) as {
      subjects: unknown[];
    };
    expect(crb.subjects).toEqual([{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'ops' }]);
    expect(await ok(['get', 'clusterrole', 'kc-nodes', '-o', 'jsonpath={.rules[0].resources[0]}'])).toBe('nodes');

    await ok(['delete', 'clusterrolebinding', 'kc-nodes']);
    await ok(['delete', 'clusterrole', 'kc-nodes']);
    await ok(['delete', 'namespace', 'kc-typed', '--wait=false']);
  });

  it('watches events', async () => {
    const r = await k(['get', 'events', '--watch', '--request-timeout=3s']);
    expect(r.out).toMatch(/^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE/);
    expect(r.out).toMatch(/Scheduled\s+pod\/hello-/);
  });

  it('leaves a pod named for another scheduler Pending until that scheduler binds it (pods/binding, bindings)', async () => {
    const pod = (name: string, schedulerName?: string) =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name },
        spec: {
          ...(schedulerName ? { schedulerName } : {}),
          containers: [{ name: 'hello', image, ports: [{ containerPort: 8080 }] }],
        },
      });
    await ok(['apply', '-f', '-'], { stdin: pod('custom-placed', 'edge-custom') });
    // A pod created after it is bound by the hub's scheduler, which by then has seen the first and left it.
    await ok(['apply', '-f', '-'], { stdin: pod('after-custom') });
    await until('the later pod bound', async () => {
      const p = await cluster.client.get<Pod>(kind('pods'), 'default', 'after-custom');
      return p.spec.nodeName || undefined;
    });
    const waiting = await cluster.client.get<Pod>(kind('pods'), 'default', 'custom-placed');
    expect(waiting.spec.nodeName).toBeUndefined();
    expect(waiting.status?.conditions?.find((c) => c.type === 'PodScheduled')).toBeUndefined();
    // The other scheduler's binding, as client-go's Bind sends it.
    const binding = {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'custom-placed' },
      target: { apiVersion: 'v1', kind: 'Node', name: 'kc-n1' },
    };
    const path = '/api/v1/namespaces/default/pods/custom-placed/binding';
    expect(await ok(['create', '--raw', path, '-f', '-'], { stdin: JSON.stringify(binding) })).toMatch(
      /"status":"Success"/,
    );
    await ok(['wait', '--for=condition=Ready', 'pod/custom-placed', '--timeout=60s']);
    expect(await ok(['get', 'pod', 'custom-placed', '-o', 'jsonpath={.spec.nodeName}'])).toBe('kc-n1');
    const again = await k(['create', '--raw', path, '-f', '-'], { stdin: JSON.stringify(binding) });
    expect(again.code).not.toBe(0);
    expect(again.err).toMatch(/already assigned to node "kc-n1"/);
    // The same through the namespace's bindings collection, as `kubectl create -f binding.yaml` sends it.
    await ok(['apply', '-f', '-'], { stdin: pod('custom-placed-2', 'edge-custom') });
    const manifest = [
      'apiVersion: v1',
      'kind: Binding',
      'metadata:',
      '  name: custom-placed-2',
      'target:',
      '  apiVersion: v1',
      '  kind: Node',
      '  name: kc-n2',
    ].join('\n');
    // Answered, as by Kubernetes' BindingREST, with a Success Status (no object), which kubectl names so.
    expect(await ok(['create', '-f', '-'], { stdin: manifest })).toBe('status/<unknown> created\n');
    await ok(['wait', '--for=condition=Ready', 'pod/custom-placed-2', '--timeout=60s']);
    expect(await ok(['get', 'pod', 'custom-placed-2', '-o', 'jsonpath={.spec.nodeName}'])).toBe('kc-n2');
    expect(await ok(['api-resources', '--api-group=', '--verbs=create', '-o', 'name'])).toMatch(/^bindings$/m);
    // Gone before the next test drains a node: kubectl drain refuses pods without a controller.
    await ok(['delete', 'pod', 'custom-placed', 'custom-placed-2', 'after-custom', '--timeout=60s']);
  });

  it('cordons, taints, drains and uncordons a node', async () => {
    const node = 'kc-n2';
    expect(await ok(['cordon', node])).toBe(`node/${node} cordoned\n`);
    expect(await ok(['get', 'node', node])).toMatch(/Ready,SchedulingDisabled/);
    expect(await ok(['taint', 'nodes', node, 'maint=yes:NoSchedule'])).toMatch(/tainted/);
    const tainted = await cluster.client.get<Node>(kind('nodes'), undefined, node);
    expect(tainted.spec?.taints).toEqual(
      expect.arrayContaining([{ key: 'maint', value: 'yes', effect: 'NoSchedule' }]),
    );
    const drained = await k(['drain', node, '--ignore-daemonsets', '--timeout=60s']);
    expect(drained.code, drained.err).toBe(0);
    expect(drained.out).toMatch(new RegExp(`node/${node} drained`));
    await until('no pods left on the drained node', async () => {
      const pods = await cluster.client.list<Pod>(kind('pods'), { namespace: 'default' });
      return pods.items.every((p) => p.spec.nodeName !== node || p.metadata.deletionTimestamp) || undefined;
    });
    await ok(['taint', 'nodes', node, 'maint=yes:NoSchedule-']);
    expect(await ok(['uncordon', node])).toBe(`node/${node} uncordoned\n`);
    expect(await ok(['get', 'node', node])).not.toMatch(/SchedulingDisabled/);
  });

  it('shows usage with top and answers auth can-i', async () => {
    const top = await until('pod metrics', async () => {
      const r = await k(['top', 'pods']);
      return r.code === 0 && /^hello-/m.test(r.out) ? r.out : undefined;
    });
    expect(header(top)).toEqual(['NAME', 'CPU(cores)', 'MEMORY(bytes)']);
    const nodes = await until('node metrics', async () => {
      const r = await k(['top', 'nodes']);
      return r.code === 0 ? r.out : undefined;
    });
    expect(nodes).toMatch(/^kc-n1\s+\d+m\s+\d+%/m);
    expect((await ok(['auth', 'can-i', 'delete', 'deployments'])).trim()).toBe('yes');
  });
});
