import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../main.js';
import { captureIO } from '../testing/io.js';
import { configPath, emptyConfig, loadConfig, resolveConnection, type EdgeConfig } from './index.js';

const config: EdgeConfig = {
  ...emptyConfig(),
  clusters: [
    { name: 'lab', cluster: { server: 'http://lab:8080' } },
    { name: 'prod', cluster: { server: 'https://prod:8443' } },
  ],
  users: [
    { name: 'lab', user: { token: 'lab-token' } },
    { name: 'prod', user: { token: 'prod-token' } },
  ],
  contexts: [
    { name: 'lab', context: { cluster: 'lab', user: 'lab', namespace: 'demo' } },
    { name: 'prod', context: { cluster: 'prod', user: 'prod' } },
  ],
  'current-context': 'lab',
};

describe('connection precedence', () => {
  it('uses the current context of the file', () => {
    const c = resolveConnection({}, {}, config, 'cfg');
    expect(c).toMatchObject({
      server: 'http://lab:8080',
      token: 'lab-token',
      namespace: 'demo',
      namespaceExplicit: false,
      context: 'lab',
    });
  });
  it('--context picks another context', () => {
    expect(resolveConnection({ context: 'prod' }, {}, config, 'cfg')).toMatchObject({
      server: 'https://prod:8443',
      token: 'prod-token',
      namespace: 'default',
    });
  });
  it('env beats the file, flags beat env', async () => {
    const env = { EDGE_SERVER: 'http://env:1', EDGE_TOKEN: 'env-token' };
    expect(resolveConnection({}, env, config, 'cfg')).toMatchObject({ server: 'http://env:1', token: 'env-token' });
    const dir = await mkdtemp(join(tmpdir(), 'edgectl-token-'));
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, 'flag-token\n');
    expect(
      resolveConnection({ server: 'http://flag:2', tokenFile, namespace: 'ns1' }, env, config, 'cfg'),
    ).toMatchObject({
      server: 'http://flag:2',
      token: 'flag-token',
      namespace: 'ns1',
      namespaceExplicit: true,
    });
  });
  it("EDGE_CA_FILE beats the config file's certificate-authority", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgectl-ca-'));
    await writeFile(join(dir, 'ca.pem'), 'PEM');
    expect(resolveConnection({}, { EDGE_CA_FILE: join(dir, 'ca.pem') }, config, 'cfg').ca?.toString()).toBe('PEM');
    expect(() => resolveConnection({}, { EDGE_CA_FILE: join(dir, 'nope') }, config, 'cfg')).toThrow(
      /cannot read EDGE_CA_FILE/,
    );
  });
  it('an unknown --context is an error naming the file', () => {
    expect(() => resolveConnection({ context: 'nope' }, {}, config, '/x/config')).toThrow(
      'context "nope" not found in /x/config',
    );
  });
  it('finds the file: --config, then EDGE_CONFIG, then ~/.edge/config', () => {
    expect(configPath('/a', { EDGE_CONFIG: '/b', HOME: '/h' })).toBe('/a');
    expect(configPath(undefined, { EDGE_CONFIG: '/b', HOME: '/h' })).toBe('/b');
    expect(configPath(undefined, { HOME: '/h' })).toBe('/h/.edge/config');
  });
});

describe('edgectl config', () => {
  it('set-context writes a 0600 file; view hides tokens unless --raw; use-context switches', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgectl-config-'));
    const env = { HOME: dir };
    const file = join(dir, '.edge', 'config');
    const io = captureIO({ env });
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, 's3cret\n');
    expect(
      await run(
        [
          'config',
          'set-context',
          'lab',
          '--server',
          'http://lab:8080',
          '--token-file',
          tokenFile,
          '--namespace',
          'demo',
        ],
        io,
      ),
    ).toBe(0);
    expect(io.out()).toBe('Context "lab" created.\n');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const saved = await loadConfig(file);
    expect(saved['current-context']).toBe('lab');
    expect(saved.users[0]?.user.token).toBe('s3cret');

    await run(['config', 'set-context', 'prod', '--server', 'https://prod'], captureIO({ env }));
    const view = captureIO({ env });
    await run(['config', 'view'], view);
    expect(view.out()).not.toContain('s3cret');
    expect(view.out()).toContain('token: REDACTED');
    const raw = captureIO({ env });
    await run(['config', 'view', '--raw'], raw);
    expect(raw.out()).toContain('token: s3cret');

    const use = captureIO({ env });
    expect(await run(['config', 'use-context', 'prod'], use)).toBe(0);
    expect(use.out()).toBe('Switched to context "prod".\n');
    const list = captureIO({ env });
    await run(['config', 'get-contexts'], list);
    expect(list.out()).toBe(
      'CURRENT   NAME   CLUSTER   AUTHINFO   NAMESPACE\n          lab    lab       lab        demo\n*         prod   prod      prod\n',
    );
  });
  it('a broken config file is a clear error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgectl-config-'));
    const file = join(dir, 'config');
    await writeFile(file, 'clusters: [ {name: x');
    const io = captureIO({ env: { EDGE_CONFIG: file } });
    expect(await run(['get', 'pods'], io)).toBe(1);
    expect(io.errText()).toMatch(new RegExp(`^error: the config file ${file} is not valid YAML`));
    expect(await readFile(file, 'utf8')).toBe('clusters: [ {name: x');
  });
  it('no hub configured is a clear error', async () => {
    const home = await mkdtemp(join(tmpdir(), 'edgectl-home-'));
    const io = captureIO({ env: { HOME: home } });
    expect(await run(['get', 'pods'], io)).toBe(1);
    expect(io.errText()).toContain('error: no hub to talk to: pass --server URL, set EDGE_SERVER');
  });
  it('a config file named by EDGE_CONFIG or --config that does not exist is the error', async () => {
    const env = captureIO({ env: { EDGE_CONFIG: '/nonexistent/config' } });
    expect(await run(['get', 'pods'], env)).toBe(1);
    expect(env.errText()).toBe('error: the config file /nonexistent/config (EDGE_CONFIG) does not exist\n');
    const flag = captureIO({ env: {} });
    expect(await run(['--config', '/nonexistent/other', 'get', 'pods'], flag)).toBe(1);
    expect(flag.errText()).toBe('error: the config file /nonexistent/other (--config) does not exist\n');
  });
});
