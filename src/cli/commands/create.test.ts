import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../../hub/testing/index.js';
import { run } from '../main.js';
import { captureIO } from '../testing/index.js';

const VALUE = 'p4ss-value-never-printed';
let hub: TestHub;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgectl-create-'));
  hub = await startTestHub();
  await writeFile(join(dir, 'app.properties'), 'color=blue\n');
  await writeFile(join(dir, 'blob.bin'), Buffer.from([0xff, 0xfe, 0x00, 0x01]));
  await writeFile(join(dir, 'app.env'), `# settings\nGREETING=hello world\n\nPASSWORD=${VALUE}\nFROM_ENV\n`);
  await writeFile(join(dir, 'tls.crt'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  await writeFile(join(dir, 'tls.key'), '-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----\n');
});
afterAll(async () => {
  await hub.close();
  await rm(dir, { recursive: true, force: true });
});

async function edgectl(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIO({
    env: { EDGE_SERVER: hub.url, EDGE_TOKEN: hub.adminToken, HOME: dir, FROM_ENV: 'from-the-env' },
    cwd: dir,
  });
  const code = await run(args, io);
  return { code, out: io.out(), err: io.errText() };
}

describe('edgectl create configmap|secret', () => {
  it('creates a ConfigMap from literals, files and env files; get shows DATA, describe the data', async () => {
    const r = await edgectl(
      'create',
      'configmap',
      'settings',
      '--from-literal=mode=edge',
      '--from-file=app.properties',
      '--from-file=raw=blob.bin',
      '--from-env-file=app.env',
    );
    expect(r).toEqual({ code: 0, out: 'configmap/settings created\n', err: '' });
    const yaml = (await edgectl('get', 'cm', 'settings', '-o', 'json')).out;
    const cm = JSON.parse(yaml) as { data: Record<string, string>; binaryData: Record<string, string> };
    expect(cm.data).toEqual({
      mode: 'edge',
      'app.properties': 'color=blue\n',
      GREETING: 'hello world',
      PASSWORD: VALUE,
      FROM_ENV: 'from-the-env',
    });
    expect(cm.binaryData).toEqual({ raw: Buffer.from([0xff, 0xfe, 0x00, 0x01]).toString('base64') });
    const table = (await edgectl('get', 'configmaps')).out;
    expect(table.split('\n')[0]).toMatch(/^NAME\s+DATA\s+AGE$/);
    expect(table).toMatch(/settings\s+6\s+/);
    const described = (await edgectl('describe', 'cm', 'settings')).out;
    expect(described).toContain('GREETING:\n----\nhello world');
    expect(described).toMatch(/raw:\s+4 bytes/);
  });

  it('creates Secrets (generic, docker-registry, tls) whose values get and describe never print', async () => {
    expect(await edgectl('create', 'secret', 'generic', 'db', '--from-env-file=app.env')).toMatchObject({
      code: 0,
      out: 'secret/db created\n',
    });
    const docker = await edgectl(
      'create',
      'secret',
      'docker-registry',
      'regcred',
      '--docker-server=registry.local:5000',
      '--docker-username=bot',
      `--docker-password=${VALUE}`,
    );
    expect(docker.code).toBe(0);
    expect((await edgectl('create', 'secret', 'tls', 'web-tls', '--cert=tls.crt', '--key=tls.key')).code).toBe(0);
    const table = (await edgectl('get', 'secrets')).out;
    expect(table.split('\n')[0]).toMatch(/^NAME\s+TYPE\s+DATA\s+AGE$/);
    expect(table).toMatch(/db\s+Opaque\s+3\s+/);
    expect(table).toMatch(/regcred\s+kubernetes\.io\/dockerconfigjson\s+1\s+/);
    expect(table).toMatch(/web-tls\s+kubernetes\.io\/tls\s+2\s+/);
    const described = (await edgectl('describe', 'secret', 'db')).out;
    expect(described).toMatch(/Type:\s+Opaque/);
    expect(described).toMatch(new RegExp(`PASSWORD:\\s+${VALUE.length} bytes`));
    for (const out of [table, described, (await edgectl('describe', 'secret', 'regcred')).out])
      expect(out).not.toContain(VALUE);
    // Values only with -o yaml|json, base64 as Kubernetes returns them.
    const json = JSON.parse((await edgectl('get', 'secret', 'regcred', '-o', 'json')).out) as {
      data: Record<string, string>;
    };
    const config = JSON.parse(Buffer.from(json.data['.dockerconfigjson'] ?? '', 'base64').toString()) as {
      auths: Record<string, { username: string; password: string; auth: string }>;
    };
    expect(config.auths['registry.local:5000']).toMatchObject({ username: 'bot', password: VALUE });
  });

  it('prints without creating on --dry-run=client, and names bad input', async () => {
    const dry = await edgectl(
      'create',
      'cm',
      'preview',
      '--from-literal=a=b',
      '--dry-run=client',
      '-o',
      'yaml',
      '-n',
      'other',
    );
    expect(dry.code).toBe(0);
    expect(dry.out).toContain('kind: ConfigMap');
    expect(dry.out).toContain('namespace: other');
    expect((await edgectl('get', 'cm', 'preview')).code).toBe(1);
    const dup = await edgectl('create', 'cm', 'x', '--from-literal=a=1', '--from-literal=a=2');
    expect(dup.err).toContain('cannot add key "a", another key by that name already exists');
    const badKey = await edgectl('create', 'secret', 'generic', 'x', '--from-literal=bad/key=1');
    expect(badKey.err).toContain('"bad/key" is not a valid key name');
    const missing = await edgectl('create', 'secret', 'tls', 'x', '--cert=nope.crt', '--key=tls.key');
    expect(missing.err).toMatch(/--from-file: .*nope\.crt is not a readable file/);
    const dupCreate = await edgectl('create', 'secret', 'generic', 'db', '--from-literal=a=1');
    expect(dupCreate.err).toContain('already exists');
  });
});
