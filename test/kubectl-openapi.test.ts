/**
 * OpenAPI with the real kubectl (`/usr/bin/kubectl`, v1.32) against a real TLS hub: `apply` and
 * `create` validate with their default settings (kubectl reads `/openapi/v3`, sees the PATCH
 * operations' `fieldValidation` parameter and leaves validation to the server), unknown fields
 * fail naming the field (Strict), warn (`--validate=warn`) or are dropped (`--validate=false`);
 * `explain` reads the v3 documents (and the v2 protobuf with `--output plaintext-openapiv2`); a
 * second kubectl run revalidates its cached documents with If-None-Match. kubectl gets its own
 * `--cache-dir` under the cluster's directory.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCE_TYPES } from '../src/api/index.js';
import { Cluster } from './support/cluster.js';
import { kubectl, requireKubectl } from './support/kubectl.js';

const DEPLOY = (name: string, extra = ''): string => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: 2
${extra}  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
        - name: web
          image: example/web:1
`;

const CONFIGMAP = `
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  mode: edge
`;

describe('kubectl and the hub’s OpenAPI', () => {
  const cluster = new Cluster(['--log-level', 'debug']);
  const cacheDir = join(cluster.dir, 'kube-cache');
  const k = (args: string[], stdin?: string) =>
    kubectl(join(cluster.hubDir, 'admin.kubeconfig'), ['--cache-dir', cacheDir, ...args], { stdin });
  const file = (name: string, text: string): string => {
    const path = join(cluster.dir, name);
    writeFileSync(path, text);
    return path;
  };
  /** The hub's request log lines (debug level) for `path`, with their status codes. */
  const served = (path: string): number[] =>
    [...(cluster.hub?.err ?? '').matchAll(/"path":"([^"]+)","status":(\d+)/g)]
      .filter((m) => m[1] === path)
      .map((m) => Number(m[2]));

  beforeAll(async () => {
    requireKubectl();
    await cluster.startHub();
  }, 60_000);

  afterAll(async () => {
    await cluster.stop();
  });

  it('apply and create validate with their defaults: the server validates (fieldValidation=Strict)', async () => {
    const applied = await k(['apply', '-v=6', '-f', file('web.yaml', DEPLOY('web'))]);
    expect(applied.code, applied.err).toBe(0);
    expect(applied.out).toContain('deployment.apps/web created');
    expect(applied.err).toMatch(/GET https:\/\/\S+\/openapi\/v3\?timeout=\S+ 200 OK/);
    expect(applied.err).toMatch(
      /POST https:\/\/\S+\/deployments\?fieldManager=kubectl-client-side-apply&fieldValidation=Strict 201/,
    );
    expect(applied.err).not.toMatch(/failed to download openapi|openapi\/v2/);

    const again = await k(['apply', '-f', file('web2.yaml', DEPLOY('web').replace('replicas: 2', 'replicas: 3'))]);
    expect(again.code, again.err).toBe(0);
    expect(again.out).toContain('deployment.apps/web configured');

    const created = await k(['create', '-f', file('cm.yaml', CONFIGMAP)]);
    expect(created.code, created.err).toBe(0);
    expect(created.out).toContain('configmap/settings created');
    const got = await k(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}']);
    expect(got.out).toBe('3');
  });

  it('a manifest with an unknown field fails, naming the field, on apply and on create', async () => {
    const bad = file('bad.yaml', DEPLOY('bad', '  bogus: 1\n'));
    const applied = await k(['apply', '-f', bad]);
    expect(applied.code).toBe(1);
    expect(applied.err).toContain('spec.bogus');
    expect(applied.err).toMatch(/unknown field/);
    const created = await k(['create', '-f', bad]);
    expect(created.code).toBe(1);
    // Worded and coded as kube-apiserver's strict decoding error (400, not 422).
    expect(created.err).toContain(
      'Error from server (BadRequest): error when creating "' +
        bad +
        '": Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.bogus"',
    );
    const none = await k(['get', 'deployment', 'bad']);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/NotFound|not found/);
  });

  it('a kind the hub does not serve is named as kubectl names it (no custom resources to look through)', async () => {
    const typo = file('typo.yaml', DEPLOY('typo').replace('kind: Deployment', 'kind: Deploymnet'));
    const applied = await k(['apply', '-f', typo]);
    expect(applied.code).toBe(1);
    expect(applied.err).toContain('no matches for kind "Deploymnet" in version "apps/v1"');
    expect(applied.err).not.toContain('failed to check CRD');
  });

  it('an image that is a local file path is refused, saying edgectl uploads such files', async () => {
    const local = file('local.yaml', DEPLOY('local').replace('image: example/web:1', 'image: ./dist/web.wasm'));
    const applied = await k(['apply', '-f', local]);
    expect(applied.code).toBe(1);
    expect(applied.err).toContain('spec.template.spec.containers[0].image');
    expect(applied.err).toMatch(
      /a local file path, not an image reference: `edgectl apply` uploads local \.wasm files/,
    );
    expect((await k(['get', 'deployment', 'local'])).code).toBe(1);
  });

  it('--validate=warn warns and drops the field; --validate=false drops it silently', async () => {
    const warned = await k(['apply', '--validate=warn', '-f', file('warn.yaml', DEPLOY('warned', '  bogus: 1\n'))]);
    expect(warned.code, warned.err).toBe(0);
    expect(warned.err).toContain('Warning: unknown field "spec.bogus"');
    const ignored = await k(['create', '--validate=false', '-f', file('ign.yaml', DEPLOY('ignored', '  bogus: 1\n'))]);
    expect(ignored.code, ignored.err).toBe(0);
    expect(ignored.err).not.toContain('bogus');
    for (const name of ['warned', 'ignored']) {
      const spec = await k(['get', 'deployment', name, '-o', 'jsonpath={.spec}']);
      expect(spec.code, spec.err).toBe(0);
      expect(spec.out).toContain('"replicas":2');
      expect(spec.out).not.toContain('bogus');
    }
  });

  it('explain deployment.spec.strategy shows the field, its type and descriptions', async () => {
    const r = await k(['explain', 'deployment.spec.strategy']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/GROUP:\s+apps\nKIND:\s+Deployment\nVERSION:\s+v1/);
    expect(r.out).toContain('FIELD: strategy <DeploymentStrategy>');
    expect(r.out).toMatch(/How to replace existing pods with new ones/);
    expect(r.out).toMatch(/rollingUpdate\s+<Object>/);
    expect(r.out).toMatch(/type\s+<string>\n\s+enum: RollingUpdate, Recreate/);
    expect(r.out).toMatch(/RollingUpdate \(the default\) replaces pods gradually/);
  });

  it('explain pods.spec.containers --recursive walks the container’s fields', async () => {
    const r = await k(['explain', 'pods.spec.containers', '--recursive']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('FIELD: containers <[]Container>');
    expect(r.out).toMatch(/^ {2}image\t<string> -required-$/m);
    expect(r.out).toMatch(/^ {2}livenessProbe\t<Probe>$/m);
    expect(r.out).toMatch(/^ {4}httpGet\t<HTTPGetAction>$/m);
    expect(r.out).toMatch(/^ {6}port\t<IntOrString> -required-$/m);
    expect(r.out).toMatch(/^ {2}resources\t<ResourceRequirements>$/m);
  });

  it('explain configmaps shows the kind’s description and fields', async () => {
    const r = await k(['explain', 'configmaps']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/KIND:\s+ConfigMap\nVERSION:\s+v1/);
    expect(r.out).toContain('ConfigMap holds configuration for pods');
    expect(r.out).toMatch(/data\t<map\[string\]string>\n\s+UTF-8 values by key/);
    expect(r.out).toMatch(/metadata\t<ObjectMeta> -required-\n\s+Standard object metadata/);
  });

  it('explains every kind the hub serves', async () => {
    for (const t of RESOURCE_TYPES) {
      const name = t.group === '' ? t.plural : `${t.plural}.${t.group}`;
      const r = await k(['explain', name]);
      expect(r.code, `${name}: ${r.err}`).toBe(0);
      expect(r.out, name).toMatch(new RegExp(`KIND:\\s+${t.kind}\\nVERSION:\\s+${t.version}`));
    }
  });

  it('explains the kinds answered but never stored: access reviews and metrics', async () => {
    const ssar = await k(['explain', 'selfsubjectaccessreviews.spec.resourceAttributes']);
    expect(ssar.code, ssar.err).toBe(0);
    expect(ssar.out).toMatch(/GROUP:\s+authorization\.k8s\.io\nKIND:\s+SelfSubjectAccessReview\nVERSION:\s+v1/);
    expect(ssar.out).toContain('FIELD: resourceAttributes <ResourceAttributes>');
    expect(ssar.out).toMatch(/^ {2}verb\t<string>$/m);
    const sar = await k(['explain', 'subjectaccessreviews.spec']);
    expect(sar.code, sar.err).toBe(0);
    expect(sar.out).toMatch(/^ {2}groups\t<\[\]string>$/m);
    expect(sar.out).toMatch(/^ {2}user\t<string>$/m);
    // `explain pods.metrics.k8s.io` reads as fields of pods; the group goes in --api-version.
    const pods = await k(['explain', 'pods', '--api-version=metrics.k8s.io/v1beta1']);
    expect(pods.code, pods.err).toBe(0);
    expect(pods.out).toMatch(/GROUP:\s+metrics\.k8s\.io\nKIND:\s+PodMetrics\nVERSION:\s+v1beta1/);
    expect(pods.out).toMatch(/^ {2}containers\t<\[\]ContainerMetrics> -required-$/m);
    const nodes = await k(['explain', 'nodes.usage', '--api-version=metrics.k8s.io/v1beta1']);
    expect(nodes.code, nodes.err).toBe(0);
    expect(nodes.out).toMatch(/KIND:\s+NodeMetrics/);
    expect(nodes.out).toMatch(/^ {2}cpu\t<string> -required-$/m);
  });

  it('serves the v2 document as protobuf to kubectl (explain --output plaintext-openapiv2)', async () => {
    const r = await k(['explain', 'deployment.spec', '--output', 'plaintext-openapiv2']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/KIND:\s+Deployment\nVERSION:\s+apps\/v1/);
    expect(r.out).toMatch(/strategy\t<Object>\n\s+How to replace existing pods/);
    expect(served('/openapi/v2')).toContain(200);
  });

  it('a second kubectl revalidates its cached index with If-None-Match (304) and keeps the hashed documents', async () => {
    const before = served('/openapi/v3/api/v1').length;
    const r = await k(['explain', 'configmaps']);
    expect(r.code, r.err).toBe(0);
    expect(served('/openapi/v3')).toContain(304);
    // The per-group-version document is addressed by its hash and cached as immutable: not asked again.
    expect(served('/openapi/v3/api/v1').length).toBe(before);
  });
});
