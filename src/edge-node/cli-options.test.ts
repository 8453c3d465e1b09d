import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HelpShown, OptionsError, parseNodeOptions } from './cli-options.js';

const parse = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  parseNodeOptions(['node', 'edge-node', ...args], env, 'v0.1.0', () => undefined);

describe('edge-node flags', () => {
  it('parses a full command line', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'edge-node-cli-'));
    const tokenFile = path.join(dir, 'join.token');
    await writeFile(tokenFile, 'secret\n');
    const o = parse([
      '--server',
      'http://127.0.0.1:7400',
      '--token-file',
      tokenFile,
      '--name',
      'pi-1',
      '--address',
      '127.0.0.1',
      '--mesh-port',
      '10300',
      '--data-dir',
      dir,
      '--labels',
      'zone=lab,edgeplane.io/tier=edge',
      '--cpu',
      '500m',
      '--memory',
      '1Gi',
      '--max-pods',
      '20',
      '--log-level',
      'debug',
      '--wasm-default-memory-limit',
      '64Mi',
      '--wasm-memory-budget',
      '1Gi',
      '--wasm-idle-release',
      '30s',
      '--max-request-body-bytes',
      '1Mi',
      '--max-concurrent-requests',
      '64',
      '--container-log-max-size',
      '1Mi',
      '--container-log-max-files',
      '3',
      '--metrics-interval',
      '2s',
      '--metrics-bind-address',
      '0.0.0.0:9100',
      '--scale-from-zero-queue',
      '5',
      '--scale-from-zero-timeout',
      '3s',
    ]);
    expect(o).toEqual({
      server: 'http://127.0.0.1:7400',
      servers: ['http://127.0.0.1:7400'],
      token: 'secret',
      name: 'pi-1',
      address: '127.0.0.1',
      meshPort: 10300,
      meshRelay: 'auto',
      dataDir: dir,
      labels: { zone: 'lab', 'edgeplane.io/tier': 'edge' },
      capacity: { cpu: '500m', memory: '1Gi', pods: '20' },
      logLevel: 'debug',
      requestTimeoutMs: 15_000,
      wasm: { defaultMemoryLimitBytes: 64 * 2 ** 20, memoryBudgetBytes: 2 ** 30, idleReleaseMs: 30_000 },
      listeners: { maxRequestBodyBytes: 2 ** 20, maxConcurrentRequests: 64 },
      containerLogs: { maxBytes: 2 ** 20, maxFiles: 3 },
      metrics: { intervalMs: 2000, bindAddress: { host: '0.0.0.0', port: 9100 } },
      hold: { maxPerService: 5, timeoutMs: 3000 },
    });
    await rm(dir, { recursive: true, force: true });
  });

  it('needs a join token from --token-file or EDGE_JOIN_TOKEN (never from the command line)', () => {
    expect(() => parse(['--server', 'http://h'])).toThrow(/a join token is required: --token-file or EDGE_JOIN_TOKEN/);
  });

  it('splits a pinned token into its CA hash and secret, and takes --ca-file', () => {
    const hash = 'c0'.repeat(32);
    const o = parse(['--server', 'https://hub:7400', '--ca-file', 'hub-ca.pem'], {
      EDGE_JOIN_TOKEN: `K10${hash}::s3cret`,
    });
    expect(o).toMatchObject({ token: 's3cret', caHash: hash, caFile: path.resolve('hub-ca.pem') });
  });

  it('takes --mesh-relay auto (the default), always or never, and refuses anything else', () => {
    const base = ['--server', 'https://hub:7400'];
    const env = { EDGE_JOIN_TOKEN: 't' };
    expect(parse(base, env).meshRelay).toBe('auto');
    expect(parse([...base, '--mesh-relay', 'always'], env).meshRelay).toBe('always');
    expect(parse([...base, '--mesh-relay', 'never'], env).meshRelay).toBe('never');
    expect(() => parse([...base, '--mesh-relay', 'sometimes'], env)).toThrow(/--mesh-relay: "sometimes"/);
  });

  it('takes several hubs of one cluster, repeated or comma-separated, in the order given and without duplicates', () => {
    const env = { EDGE_JOIN_TOKEN: 't' };
    const o = parse(
      ['--server', 'https://a:7400,https://b:7400', '--server', 'https://c:7400', '--server', 'https://a:7400'],
      env,
    );
    expect(o.servers).toEqual(['https://a:7400', 'https://b:7400', 'https://c:7400']);
    expect(o.server).toBe('https://a:7400');
    expect(() => parse(['--server', 'https://a:7400', '--server', 'http://b:7400'], env)).toThrow(
      /"http:\/\/b:7400" and "https:\/\/a:7400" mix TLS and plain HTTP/,
    );
    expect(() => parse(['--server', 'https://a:7400,b:7400'], env)).toThrow(/--server: "b:7400" must start with http/);
  });

  it('refuses a malformed K10 token without echoing it', () => {
    const run = (): unknown => parse(['--server', 'https://h'], { EDGE_JOIN_TOKEN: 'K10abc::Qx9secret' });
    expect(run).toThrow(OptionsError);
    expect(run).toThrow(/the CA hash after K10 must be 64 lower-case hex digits/);
    expect(run).not.toThrow(/Qx9/);
  });

  it('takes the token from EDGE_JOIN_TOKEN and defaults the rest', () => {
    const o = parse(['--server', 'http://hub:7400', '--name', 'n1'], { EDGE_JOIN_TOKEN: 't' });
    expect(o).toMatchObject({
      token: 't',
      address: '127.0.0.1',
      meshPort: 10250,
      capacity: { pods: '110' },
      wasm: { defaultMemoryLimitBytes: 128 * 2 ** 20, idleReleaseMs: 300_000 },
    });
    expect(o.listeners).toEqual({ maxRequestBodyBytes: 16 * 2 ** 20, maxConcurrentRequests: 1024 });
    expect(o.containerLogs).toEqual({ maxBytes: 10 * 2 ** 20, maxFiles: 5 });
    expect(o.metrics).toEqual({ intervalMs: 5000 }); // no Prometheus listener unless asked for
    expect(o.hold).toEqual({ maxPerService: 100, timeoutMs: 10_000 });
    expect(o.wasm.memoryBudgetBytes).toBeUndefined(); // the runtime's default: half of the machine's memory
    expect(o.dataDir).toBe(path.resolve('edge-node-data'));
  });

  it.each([
    [[], /--server is required/],
    [['--server', 'hub:7400'], /--server: "hub:7400" must start with http/],
    [['--server', 'http://h', '--token', 't'], /unknown option '--token'/],
    [['--server', 'http://h', '--token-file', '/nonexistent/token'], /--token-file: cannot read/],
    [['--server', 'http://h', '--name', 'Bad_Name'], /--name: "Bad_Name" is not a valid node name/],
    [['--server', 'http://h', '--address', 'localhost'], /--address: "localhost" is not an IP address/],
    [['--server', 'http://h', '--mesh-port', '70000'], /--mesh-port: 70000 is out of range/],
    [['--server', 'http://h', '--labels', 'novalue'], /--labels: "novalue" is not key=value/],
    [['--server', 'http://h', '--memory', 'lots'], /--memory: "lots" is not a quantity/],
    [['--server', 'http://h', '--log-level', 'loud'], /--log-level: "loud"/],
    [
      ['--server', 'http://h', '--wasm-memory-budget', 'Infinity'],
      /--wasm-memory-budget: "Infinity" is not a memory quantity/,
    ],
    [['--server', 'http://h', '--wasm-idle-release', 'soon'], /--wasm-idle-release: "soon" is not a duration/],
    [
      ['--server', 'http://h', '--wasm-default-memory-limit', '1Ki'],
      /--wasm-default-memory-limit: "1Ki" is not a memory quantity of at least 64Ki/,
    ],
    [
      ['--server', 'http://h', '--wasm-memory-budget', '64Mi'],
      /--wasm-memory-budget \(64Mi\) is below --wasm-default-memory-limit/,
    ],
    [
      ['--server', 'http://h', '--max-request-body-bytes', 'Infinity'],
      /--max-request-body-bytes: "Infinity" is not a size/,
    ],
    [
      ['--server', 'http://h', '--max-request-body-bytes', '0'],
      /--max-request-body-bytes: "0" is not a size of at least 1 bytes/,
    ],
    [['--server', 'http://h', '--max-concurrent-requests', '0'], /--max-concurrent-requests: 0 is out of range/],
    [
      ['--server', 'http://h', '--container-log-max-size', '10'],
      /--container-log-max-size: "10" is not a size of at least 1024 bytes/,
    ],
    [
      ['--server', 'http://h', '--container-log-max-files', '1'],
      /--container-log-max-files: 1 is out of range \(2\.\.1000\)/,
    ],
    [['--server', 'http://h', '--metrics-interval', 'often'], /--metrics-interval: "often" is not a duration/],
    [['--server', 'http://h', '--metrics-interval', '10ms'], /--metrics-interval: "10ms" is below 100ms/],
    [
      ['--server', 'http://h', '--metrics-bind-address', 'localhost:9100'],
      /--metrics-bind-address: "localhost:9100" is not an IP address and port/,
    ],
    [['--server', 'http://h', '--scale-from-zero-queue', '-1'], /--scale-from-zero-queue: "-1" is not a whole number/],
    [
      ['--server', 'http://h', '--scale-from-zero-timeout', '0s'],
      /--scale-from-zero-timeout: "0s" is not a duration above 0/,
    ],
    [['--server', 'http://h', '--bogus'], /unknown option '--bogus'/],
  ])('refuses %j', (args, message) => {
    expect(() => parse(args, { EDGE_JOIN_TOKEN: 't' })).toThrow(OptionsError);
    expect(() => parse(args, { EDGE_JOIN_TOKEN: 't' })).toThrow(message);
  });

  it('signals --help', () => {
    expect(() => parse(['--help'])).toThrow(HelpShown);
  });
});
