import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { typeByKind } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { TokenAuth, nodeAuthorizer, startStandaloneRbac } from '../auth/index.js';
import { BlobStore } from '../blobs/index.js';
import { ObjectRegistry } from '../registry/index.js';
import { SqliteStore } from '../store/index.js';
import { createApiApp } from './app.js';
import { requestAttributes } from './auth-middleware.js';
import { fakeLogs, readStatus } from './testdata/harness.js';
import type { PodExecOptions, PodExecSource } from './types.js';

const PODS = '/api/v1/namespaces/default/pods';
const VIEWER_TOKEN = 'viewer-token-0123456789abcdef';

let dir: string;
let store: SqliteStore;
let auth: TokenAuth;
let app: ReturnType<typeof createApiApp>;
let stopRbac: () => void;
// The node side of exec (the gateway in the hub): records what reached it and answers.
const reached: PodExecOptions[] = [];
const exec: PodExecSource = {
  exec(_ns, _pod, opts) {
    reached.push(opts);
    return Promise.resolve({ exitCode: 0, stdout: 'ok\n', stderr: '' });
  },
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'exec-route-'));
  const logger = silentLogger();
  await writeFile(
    join(dir, 'tokens.json'),
    JSON.stringify({ users: [{ name: 'viewer', token: VIEWER_TOKEN, role: 'read-only' }] }),
  );
  store = await SqliteStore.create({ path: join(dir, 'hub.db'), logger });
  const api = new ObjectRegistry({ store, clock: { now: () => Date.now() }, logger });
  await api.ensureNamespace('default');
  auth = await TokenAuth.create({ dataDir: dir, logger });
  const blobs = await BlobStore.create({ dir: join(dir, 'blobs'), maxBytes: 1024 * 1024 });
  // The hub's authorisation: the built-in RBAC policy over informers.
  const rbac = await startStandaloneRbac(api, logger);
  stopRbac = rbac.stop;
  app = createApiApp({ api, auth, rbac, blobs, logs: fakeLogs, exec, logger, version: { gitVersion: 'v0.0.0-test' } });
  await api.create(typeByKind('v1', 'Pod')!, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'a', namespace: 'default' },
    spec: { containers: [{ name: 'main', image: 'hello.wasm' }] },
  });
});
afterAll(async () => {
  stopRbac();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const req = (method: string, path: string, token: string) =>
  app.request(path, { method, headers: { authorization: `Bearer ${token}` } });

describe('exec is a write', () => {
  it('runs for an admin over POST', async () => {
    const res = await req('POST', `${PODS}/a/exec?command=echo&command=hi&timeoutSeconds=5`, auth.adminToken);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ exitCode: 0, stdout: 'ok\n', stderr: '' });
    expect(reached.at(-1)).toEqual({ command: ['echo', 'hi'], timeoutSeconds: 5 });
  });

  it('answers GET (and other methods) with 405 MethodNotAllowed as a Status, running nothing', async () => {
    const before = reached.length;
    for (const method of ['GET', 'PUT', 'PATCH', 'DELETE']) {
      const res = await req(method, `${PODS}/a/exec?command=id`, auth.adminToken);
      expect(res.status, method).toBe(405);
      expect(await res.json()).toMatchObject({
        kind: 'Status',
        status: 'Failure',
        reason: 'MethodNotAllowed',
        code: 405,
      });
    }
    expect(reached.length).toBe(before);
  });

  // Node credentials are certificates now; node restriction (no exec, only their pods' blobs) is tested in
  // src/hub/auth/node-restriction.test.ts and test/node-pki.test.ts.
  it('refuses read-only users with 403, over any method', async () => {
    const before = reached.length;
    for (const method of ['POST', 'GET']) {
      const res = await req(method, `${PODS}/a/exec?command=id`, VIEWER_TOKEN);
      expect(res.status, method).toBe(403);
      const status = await readStatus(res);
      expect(status).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403 });
      expect(status.message).toBe(
        'pods "a" is forbidden: User "viewer" cannot create resource "pods/exec" in API group "" in the namespace "default"',
      );
      expect(status.message).not.toContain(VIEWER_TOKEN);
    }
    expect(reached.length).toBe(before);
    // The viewer still reads.
    expect((await req('GET', `${PODS}/a`, VIEWER_TOKEN)).status).toBe(200);
  });

  it('bounds timeoutSeconds, naming it', async () => {
    for (const t of ['0', '86401', '1e400', 'Infinity', 'NaN', '-5', '2.5']) {
      const res = await req('POST', `${PODS}/a/exec?command=id&timeoutSeconds=${t}`, auth.adminToken);
      expect(res.status, t).toBe(400);
      const status = await readStatus(res);
      expect(status.details?.causes?.[0]?.field).toBe('timeoutSeconds');
    }
  });
});

describe('authorize seam', () => {
  const q = new URLSearchParams();
  it('names requests as Kubernetes verbs and resources', () => {
    expect(requestAttributes('GET', `${PODS}/a/exec`, q)).toEqual({
      kind: 'resource',
      verb: 'create',
      group: '',
      resource: 'pods',
      subresource: 'exec',
      namespace: 'default',
      name: 'a',
    });
    expect(requestAttributes('GET', PODS, new URLSearchParams('watch=true'))).toMatchObject({
      verb: 'watch',
      resource: 'pods',
    });
    expect(requestAttributes('GET', PODS, q)).toMatchObject({ verb: 'list' });
    expect(requestAttributes('PATCH', '/apis/apps/v1/namespaces/default/deployments/web/scale', q)).toMatchObject({
      verb: 'patch',
      group: 'apps',
      resource: 'deployments',
      subresource: 'scale',
    });
    expect(requestAttributes('DELETE', PODS, q)).toMatchObject({ verb: 'deletecollection' });
    expect(requestAttributes('GET', '/apis/edgeplane.io/v1/blobs/sha256:00', q)).toEqual({
      kind: 'nonResource',
      verb: 'get',
      path: '/apis/edgeplane.io/v1/blobs/sha256:00',
    });
    // Kinds the registry does not serve are still named from the URL, as Kubernetes' RequestInfo does.
    expect(requestAttributes('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', q)).toEqual({
      kind: 'resource',
      verb: 'create',
      group: 'authorization.k8s.io',
      resource: 'selfsubjectaccessreviews',
    });
    expect(requestAttributes('GET', '/healthz/x', q)).toMatchObject({ kind: 'nonResource' });
  });

  it('keeps node credentials to reading blobs', () => {
    expect(nodeAuthorizer(requestAttributes('POST', `${PODS}/a/exec`, q)).allowed).toBe(false);
    expect(nodeAuthorizer(requestAttributes('GET', PODS, q)).allowed).toBe(false);
    expect(nodeAuthorizer(requestAttributes('GET', '/apis/edgeplane.io/v1/blobs/sha256:00', q)).allowed).toBe(true);
    expect(nodeAuthorizer(requestAttributes('POST', '/apis/edgeplane.io/v1/blobs', q)).allowed).toBe(false);
  });
});
