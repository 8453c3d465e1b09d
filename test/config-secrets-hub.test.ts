/**
 * Config and secrets on a real hub process with a real node (issue 15, the hub's side): Secrets
 * created with edgectl are encrypted in the hub's SQLite files (grep the bytes); get and describe
 * never print a value; a node's own certificate reads exactly the Secrets its pods reference (403 in
 * Kubernetes' words otherwise, and no writes); key rotation on the stopped hub re-encrypts them all.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod, Secret } from '../src/api/index.js';
import { Cluster, Proc, ROOT, kind, until } from './support/cluster.js';

const VALUE = 'e2e-secret-value-7f3a9c';
const NODE = { name: 'cfg-a', address: '127.0.0.1' };
const cluster = new Cluster();

/** Every byte of the hub's SQLite files (database, WAL, shared memory). */
function dbBytes(): string {
  return readdirSync(cluster.hubDir)
    .filter((f) => f.startsWith('state.db'))
    .map((f) => readFileSync(join(cluster.hubDir, f)).toString('latin1'))
    .join('');
}

beforeAll(async () => {
  await cluster.start([NODE]);
}, 90_000);
afterAll(async () => {
  await cluster.stop();
});

describe('config and secrets on the hub', () => {
  it('edgectl creates, gets and describes Secrets and ConfigMaps without printing a value', async () => {
    const env = join(cluster.dir, 'db.env');
    writeFileSync(env, `PASSWORD=${VALUE}\nUSER=app\n`, { mode: 0o600 });
    const created = await cluster.edgectl(['create', 'secret', 'generic', 'db', `--from-env-file=${env}`]);
    expect(created, created.stderr).toMatchObject({ code: 0, stdout: 'secret/db created\n' });
    expect((await cluster.edgectl(['create', 'secret', 'generic', 'other', `--from-env-file=${env}`])).code).toBe(0);
    const cm = await cluster.edgectl(['create', 'configmap', 'settings', '--from-literal=greeting=hello']);
    expect(cm.stdout).toBe('configmap/settings created\n');

    const get = await cluster.edgectl(['get', 'secrets']);
    expect(get.stdout).toMatch(/^NAME\s+TYPE\s+DATA\s+AGE\n/);
    expect(get.stdout).toMatch(/\ndb\s+Opaque\s+2\s+/);
    expect((await cluster.edgectl(['get', 'cm', 'settings'])).stdout).toMatch(/^NAME\s+DATA\s+AGE\nsettings\s+1\s+/);
    const described = await cluster.edgectl(['describe', 'secret', 'db']);
    expect(described.stdout).toMatch(new RegExp(`PASSWORD:\\s+${VALUE.length} bytes`));
    for (const out of [get, described]) expect(out.stdout + out.stderr).not.toContain(VALUE);
    // The value itself only with -o yaml|json, base64 as Kubernetes returns it.
    const yaml = await cluster.edgectl(['get', 'secret', 'db', '-o', 'yaml']);
    expect(yaml.stdout).toContain(Buffer.from(VALUE).toString('base64'));
  });

  it("keeps every Secret value out of the hub's database files, under a 0600 keyring", () => {
    const bytes = dbBytes();
    expect(bytes).toContain('k8s:enc:aesgcm:v1:key1:');
    expect(bytes).not.toContain(VALUE);
    expect(bytes).not.toContain(Buffer.from(VALUE).toString('base64'));
    expect(bytes).toContain('greeting'); // ConfigMaps are not secret: stored as they are
    expect(statSync(join(cluster.hubDir, 'encryption.keys')).mode & 0o777).toBe(0o600);
  });

  it("lets a node's own certificate read only the Secrets its pods reference, and write none", async () => {
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'uses-db', namespace: 'default' },
      spec: {
        nodeName: NODE.name,
        containers: [
          {
            name: 'c',
            image: 'x.wasm',
            env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'db', key: 'PASSWORD' } } }],
          },
        ],
      },
    };
    await cluster.client.create(kind('pods'), pod);
    const dir = cluster.node(NODE.name).dataDir;
    const tls = {
      ca: readFileSync(cluster.caFile, 'utf8'),
      key: readFileSync(join(dir, 'pki', 'node.key'), 'utf8'),
      cert: readFileSync(join(dir, 'pki', 'node.crt'), 'utf8'),
    };
    const dispatcher = new Agent({ connect: tls });
    const call = async (path: string, method = 'GET'): Promise<{ status: number; body: string }> => {
      const res = await request(`${cluster.url}${path}`, {
        dispatcher,
        method: method as 'GET',
        ...(method === 'POST'
          ? {
              body: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } }),
              headers: { 'content-type': 'application/json' },
            }
          : {}),
      });
      return { status: res.statusCode, body: await res.body.text() };
    };
    const secrets = '/api/v1/namespaces/default/secrets';
    // The pod is in the hub's cache as soon as it is written; wait for the node restriction to see it.
    const own = await until("the node to read its pod's Secret", async () => {
      const r = await call(`${secrets}/db`);
      return r.status === 200 ? r : undefined;
    });
    expect((JSON.parse(own.body) as Secret).data?.PASSWORD).toBe(Buffer.from(VALUE).toString('base64'));
    const other = await call(`${secrets}/other`);
    expect(other.status).toBe(403);
    expect(JSON.parse(other.body)).toMatchObject({
      kind: 'Status',
      reason: 'Forbidden',
      message: `secrets "other" is forbidden: User "system:node:${NODE.name}" cannot get resource "secrets" in API group "" in the namespace "default": no relationship found between node '${NODE.name}' and this object`,
    });
    expect((await call(secrets)).status).toBe(403);
    expect((await call(secrets, 'POST')).status).toBe(403);
    await dispatcher.close();
  });

  it('re-encrypts every Secret with a new key on the stopped hub (edge-hub rotate-encryption-key)', async () => {
    await cluster.hub?.kill('SIGTERM');
    const rotate = new Proc(
      spawn(
        process.execPath,
        [join(ROOT, 'bin', 'edge-hub.js'), 'rotate-encryption-key', '--data-dir', cluster.hubDir],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      ),
    );
    expect(await rotate.exited, rotate.err).toBe(0);
    expect(rotate.out).toBe('new key "key2": 2 Secret(s) re-encrypted, 0 already under it\n');
    expect(rotate.out + rotate.err).not.toContain(VALUE);
    await cluster.startHub();
    const s = await cluster.client.get<Secret>(kind('secrets'), 'default', 'db');
    expect(s.data?.PASSWORD).toBe(Buffer.from(VALUE).toString('base64'));
    expect(dbBytes()).toContain('k8s:enc:aesgcm:v1:key2:');
  }, 60_000);
});
