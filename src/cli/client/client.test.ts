import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EdgeError, typeByName, type KubeObject, type ResourceType } from '../../api/index.js';
import { startTestHub, type TestHub } from '../../hub/testing/index.js';
import { loopbackServerCert } from '../../pki/testing/index.js';
import { EdgeClient, type WatchEvent } from './index.js';

const T = (n: string): ResourceType => typeByName(n) as ResourceType;
const ns = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const cm = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels },
  spec: { containers: [{ name: 'app', image: 'x.wasm' }] },
});

let hub: TestHub;
let client: EdgeClient;
beforeAll(async () => {
  // No `default` namespace at first: the test creates it.
  hub = await startTestHub({ version: 'v0.1.0-fake', defaultNamespace: false });
  client = new EdgeClient({ server: hub.url, token: hub.adminToken });
});
afterAll(async () => {
  await client.close();
  await hub.close();
});

describe('EdgeClient', () => {
  it('creates, gets, lists with selectors, updates and deletes', async () => {
    await client.create(T('ns'), ns('default'));
    const a = await client.create(T('pods'), cm('a', { app: 'web' }));
    await client.create(T('pods'), cm('b', { app: 'db' }));
    expect((await client.get(T('pods'), 'default', 'a')).metadata.uid).toBe(a.metadata.uid);
    const list = await client.list(T('pods'), { namespace: 'default', labelSelector: 'app=web' });
    expect(list.items.map((p) => p.metadata.name)).toEqual(['a']);
    expect(list.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(hub.requests).toContain('GET /api/v1/namespaces/default/pods?labelSelector=app%3Dweb');

    const updated = await client.update(T('pods'), {
      ...a,
      metadata: { ...a.metadata, labels: { app: 'web', tier: 'front' } },
    });
    expect(updated.metadata.resourceVersion).not.toBe(a.metadata.resourceVersion);
    // Stale resourceVersion → 409 Conflict, as a retryable EdgeError.
    const stale = await client.update(T('pods'), a).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(EdgeError);
    expect((stale as EdgeError).code).toBe('Conflict');
    expect((stale as EdgeError).retryable).toBe(true);

    await client.delete(T('pods'), 'default', 'b', { propagationPolicy: 'Orphan', gracePeriodSeconds: 0 });
    expect(hub.requests).toContain(
      'DELETE /api/v1/namespaces/default/pods/b?propagationPolicy=Orphan&gracePeriodSeconds=0',
    );
    const gone = await client.get(T('pods'), 'default', 'b').catch((e: unknown) => e);
    expect((gone as EdgeError).code).toBe('NotFound');
  });

  it('watches from a revision and resumes after the stream ends, without repeats', async () => {
    const start = (await client.list(T('pods'), { namespace: 'default' })).metadata.resourceVersion;
    const ac = new AbortController();
    const seen: WatchEvent[] = [];
    const done = (async () => {
      for await (const ev of client.watch(T('pods'), {
        namespace: 'default',
        resourceVersion: start,
        signal: ac.signal,
      })) {
        seen.push(ev);
        if (seen.length === 1) hub.dropWatches(); // the hub ends the stream: the client reconnects
        if (seen.length === 1) await client.create(T('pods'), cm('d'));
        if (seen.length === 2) break;
      }
    })();
    await client.create(T('pods'), cm('c'));
    await done;
    ac.abort();
    expect(seen.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED c', 'ADDED d']);
    expect(hub.requests.filter((r) => r.includes('watch=true')).length).toBeGreaterThanOrEqual(2);
  });

  it('throws Gone for a compacted revision, so callers relist', async () => {
    // A hub that keeps one event of history: after a few writes, revision 3 is compacted away.
    const short = await startTestHub({ historyLimit: 1 });
    const c = new EdgeClient({ server: short.url, token: short.adminToken });
    for (const name of ['g1', 'g2', 'g3', 'g4', 'g5']) await c.create(T('pods'), cm(name));
    const it = c.watch(T('pods'), { resourceVersion: '3' });
    await expect(it.next()).rejects.toMatchObject({ code: 'Gone' });
    await c.close();
    await short.close();
  });

  it('scales, streams logs, uploads blobs, reads /version', async () => {
    await hub.api.create(T('deploy'), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'x' }] } },
      },
    });
    expect((await client.setScale(T('deploy'), 'default', 'web', 4)).spec.replicas).toBe(4);
    expect((await client.getScale(T('deploy'), 'default', 'web')).spec.replicas).toBe(4);

    hub.logs.set('default/a', 'line 1\nline 2\n');
    let text = '';
    for await (const chunk of client.logs('default', 'a', { tailLines: 10, container: 'app' })) text += chunk;
    expect(text).toBe('line 1\nline 2\n');
    expect(hub.requests).toContain('GET /api/v1/namespaces/default/pods/a/log?container=app&tailLines=10');

    const ac = new AbortController();
    let followed = '';
    for await (const chunk of client.logs('default', 'a', { follow: true, signal: ac.signal })) {
      followed += chunk;
      ac.abort(); // Ctrl-C: the stream ends quietly
    }
    expect(followed).toBe('line 1\nline 2\n');

    const blob = await client.uploadBlob(new TextEncoder().encode('hello'));
    expect(blob).toEqual({
      digest: 'sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
      size: 5,
    });
    expect((await client.version()).gitVersion).toBe('v0.1.0-fake');
  });

  it('asks whether the hub serves TLS when an http:// server resets the connection (a TLS hub does)', async () => {
    const { certPem, keyPem } = await loopbackServerCert('client-test-ca');
    const tls = createHttpsServer({ cert: certPem, key: keyPem }, (_req, res) => res.end());
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
    const plain = new EdgeClient({ server: `http://127.0.0.1:${(tls.address() as AddressInfo).port}` });
    try {
      await expect(plain.list(T('pods'))).rejects.toThrow(/is the hub serving TLS\? then use https:\/\//);
    } finally {
      await plain.close();
      tls.close();
    }
  });

  it('says clearly when the hub is unreachable or refuses the token', async () => {
    const down = new EdgeClient({ server: 'http://127.0.0.1:1' });
    await expect(down.list(T('pods'))).rejects.toThrow(
      'cannot reach the hub at http://127.0.0.1:1: connect ECONNREFUSED',
    );
    await down.close();
    const bad = new EdgeClient({ server: hub.url, token: 'wrong' });
    await expect(bad.list(T('pods'))).rejects.toThrow(
      'the hub refused the token (401 Unauthorized): check --token-file / EDGE_TOKEN / the config file',
    );
    await bad.close();
  });
});
