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
      '--max-request-body-bytes',
      '1Mi',
      '--max-concurrent-requests',
      '64',
      '--container-log-max-size',
      '1Mi',
      '--container-log-max-files',
      '3',
    ]);
    expect(o).toEqual({
      server: 'http://127.0.0.1:7400',
      token: 'secret',
      name: 'pi-1',
      address: '127.0.0.1',
      meshPort: 10300,
      dataDir: dir,
      labels: { zone: 'lab', 'edgeplane.io/tier': 'edge' },
      capacity: { cpu: '500m', memory: '1Gi', pods: '20' },
      logLevel: 'debug',
      requestTimeoutMs: 15_000,
      wasm: { defaultMemoryLimitBytes: 64 * 2 ** 20, memoryBudgetBytes: 2 ** 30 },
      listeners: { maxRequestBodyBytes: 2 ** 20, maxConcurrentRequests: 64 },
      containerLogs: { maxBytes: 2 ** 20, maxFiles: 3 },
    });
    await rm(dir, { recursive: true, force: true });
  });

  it('takes the token from EDGE_JOIN_TOKEN and defaults the rest', () => {
    const o = parse(['--server', 'http://hub:7400', '--name', 'n1'], { EDGE_JOIN_TOKEN: 't' });
    expect(o).toMatchObject({
      token: 't',
      address: '127.0.0.1',
      meshPort: 10250,
      capacity: { pods: '110' },
      wasm: { defaultMemoryLimitBytes: 128 * 2 ** 20 },
    });
    expect(o.listeners).toEqual({ maxRequestBodyBytes: 16 * 2 ** 20, maxConcurrentRequests: 1024 });
    expect(o.containerLogs).toEqual({ maxBytes: 10 * 2 ** 20, maxFiles: 5 });
    expect(o.wasm.memoryBudgetBytes).toBeUndefined(); // the runtime's default: half of the machine's memory
    expect(o.dataDir).toBe(path.resolve('edge-node-data'));
  });

  it.each([
    [['--token', 't'], /--server is required/],
    [['--server', 'hub:7400', '--token', 't'], /--server: "hub:7400" must start with http/],
    [['--server', 'http://h'], /join token is required/],
    [['--server', 'http://h', '--token', 't', '--token-file', '/x'], /either --token or --token-file/],
    [['--server', 'http://h', '--token-file', '/nonexistent/token'], /--token-file: cannot read/],
    [['--server', 'http://h', '--token', 't', '--name', 'Bad_Name'], /--name: "Bad_Name" is not a valid node name/],
    [['--server', 'http://h', '--token', 't', '--address', 'localhost'], /--address: "localhost" is not an IP address/],
    [['--server', 'http://h', '--token', 't', '--mesh-port', '70000'], /--mesh-port: 70000 is out of range/],
    [['--server', 'http://h', '--token', 't', '--labels', 'novalue'], /--labels: "novalue" is not key=value/],
    [['--server', 'http://h', '--token', 't', '--memory', 'lots'], /--memory: "lots" is not a quantity/],
    [['--server', 'http://h', '--token', 't', '--log-level', 'loud'], /--log-level: "loud"/],
    [
      ['--server', 'http://h', '--token', 't', '--wasm-memory-budget', 'Infinity'],
      /--wasm-memory-budget: "Infinity" is not a memory quantity/,
    ],
    [
      ['--server', 'http://h', '--token', 't', '--wasm-default-memory-limit', '1Ki'],
      /--wasm-default-memory-limit: "1Ki" is not a memory quantity of at least 64Ki/,
    ],
    [
      ['--server', 'http://h', '--token', 't', '--wasm-memory-budget', '64Mi'],
      /--wasm-memory-budget \(64Mi\) is below --wasm-default-memory-limit/,
    ],
    [
      ['--server', 'http://h', '--token', 't', '--max-request-body-bytes', 'Infinity'],
      /--max-request-body-bytes: "Infinity" is not a size/,
    ],
    [
      ['--server', 'http://h', '--token', 't', '--max-request-body-bytes', '0'],
      /--max-request-body-bytes: "0" is not a size of at least 1 bytes/,
    ],
    [
      ['--server', 'http://h', '--token', 't', '--max-concurrent-requests', '0'],
      /--max-concurrent-requests: 0 is out of range/,
    ],
    [
      ['--server', 'http://h', '--token', 't', '--container-log-max-size', '10'],
      /--container-log-max-size: "10" is not a size of at least 1024 bytes/,
    ],
    [
      ['--server', 'http://h', '--token', 't', '--container-log-max-files', '1'],
      /--container-log-max-files: 1 is out of range \(2\.\.1000\)/,
    ],
    [['--server', 'http://h', '--token', 't', '--bogus'], /unknown option '--bogus'/],
  ])('refuses %j', (args, message) => {
    expect(() => parse(args, {})).toThrow(OptionsError);
    expect(() => parse(args, {})).toThrow(message);
  });

  it('signals --help', () => {
    expect(() => parse(['--help'])).toThrow(HelpShown);
  });
});
