import { describe, expect, it } from 'vitest';
import { BLOB_PATH, type Pod } from '../../api/index.js';
import { nodeRestriction } from './node-restriction.js';
import type { RequestAttributes } from './authorize.js';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;

function pod(name: string, node: string, image: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { nodeName: node, containers: [{ name: 'main', image }] },
  };
}

const pods = [
  pod('on-a', 'node-a', `edgeplane.hub/hello.wasm@${A}`),
  pod('on-b', 'node-b', `edgeplane.hub/x.wasm@${B}`),
];
const decide = nodeRestriction({ podsOnNode: (n) => pods.filter((p) => p.spec.nodeName === n) });
const blob = (digest: string, verb: 'get' | 'create' = 'get'): RequestAttributes => ({
  kind: 'nonResource',
  verb,
  path: `${BLOB_PATH}/${digest}`,
});

describe('node restriction', () => {
  it('lets a node read the blobs its own pods run, and no other', () => {
    expect(decide({ kind: 'node', name: 'node-a' }, blob(A))).toEqual({ allowed: true });
    const other = decide({ kind: 'node', name: 'node-a' }, blob(B));
    expect(other).toEqual({ allowed: false, reason: 'no pod bound to node "node-a" runs this blob' });
    expect(decide({ kind: 'node', name: 'node-b' }, blob(B)).allowed).toBe(true);
  });

  it('lets a node ask which zone peers hold a blob only when it may read the blob', () => {
    expect(decide({ kind: 'node', name: 'node-a' }, blob(`${A}/sources`))).toEqual({ allowed: true });
    expect(decide({ kind: 'node', name: 'node-a' }, blob(`${B}/sources`)).allowed).toBe(false);
  });

  it('refuses every other request of a node: writes, resources, a node without a name', () => {
    expect(decide({ kind: 'node', name: 'node-a' }, blob(A, 'create')).allowed).toBe(false);
    const list: RequestAttributes = { kind: 'resource', verb: 'list', group: '', resource: 'pods' };
    expect(decide({ kind: 'node', name: 'node-a' }, list)).toEqual({
      allowed: false,
      reason: 'node "node-a" may only read the blobs of its own pods',
    });
    const status: RequestAttributes = {
      kind: 'resource',
      verb: 'update',
      group: '',
      resource: 'pods',
      subresource: 'status',
      namespace: 'default',
      name: 'on-b',
    };
    expect(decide({ kind: 'node', name: 'node-a' }, status).allowed).toBe(false);
    expect(decide({ kind: 'node' }, blob(A)).allowed).toBe(false);
  });
});

describe('node restriction of ConfigMaps and Secrets', () => {
  const using: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'app', namespace: 'shop' },
    spec: {
      nodeName: 'node-a',
      containers: [
        {
          name: 'main',
          image: 'x',
          env: [{ name: 'K', valueFrom: { secretKeyRef: { name: 'api-key', key: 'k' } } }],
          envFrom: [{ configMapRef: { name: 'settings' } }],
        },
      ],
      volumes: [{ name: 'tls', secret: { secretName: 'tls-cert' } }],
      imagePullSecrets: [{ name: 'regcred' }],
    },
  };
  const decideCfg = nodeRestriction({ podsOnNode: (n) => (n === 'node-a' ? [using] : []) });
  const req = (resource: string, name: string | undefined, verb = 'get', namespace = 'shop'): RequestAttributes => ({
    kind: 'resource',
    verb,
    group: '',
    resource,
    namespace,
    ...(name !== undefined ? { name } : {}),
  });
  const a = { kind: 'node' as const, name: 'node-a' };

  it('lets a node read exactly what its pods reference (env, envFrom, volumes, imagePullSecrets)', () => {
    for (const name of ['api-key', 'tls-cert', 'regcred'])
      expect(decideCfg(a, req('secrets', name))).toEqual({ allowed: true });
    expect(decideCfg(a, req('configmaps', 'settings', 'watch'))).toEqual({ allowed: true });
    expect(decideCfg(a, req('secrets', 'api-key', 'list'))).toEqual({ allowed: true });
  });

  it("refuses other objects, other namespaces, other nodes' pods, collections and every write, in Kubernetes' words", () => {
    const refused = { allowed: false, reason: "no relationship found between node 'node-a' and this object" };
    expect(decideCfg(a, req('secrets', 'settings'))).toEqual(refused); // a ConfigMap's name, not a Secret's
    expect(decideCfg(a, req('secrets', 'other'))).toEqual(refused);
    expect(decideCfg(a, req('secrets', 'api-key', 'get', 'default'))).toEqual(refused);
    expect(decideCfg({ kind: 'node', name: 'node-b' }, req('secrets', 'api-key')).allowed).toBe(false);
    const individual = { allowed: false, reason: 'can only get individual resources of this type' };
    expect(decideCfg(a, req('secrets', undefined, 'list'))).toEqual(individual);
    for (const verb of ['create', 'update', 'patch', 'delete'])
      expect(decideCfg(a, req('secrets', 'api-key', verb))).toEqual(individual);
  });
});
