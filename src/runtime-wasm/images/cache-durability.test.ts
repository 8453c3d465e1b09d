/**
 * runtime-wasm's caches found torn by a later runtime on the same data dir (as after a power cut or
 * a disk fault): a cached component truncated, a transpiled module changed or missing, meta.json
 * gone, refs.json garbled. Each torn entry is removed and fetched or transpiled again with a log
 * line; nothing crashes and the container runs.
 */
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { RegistryRefs } from './registry-refs.js';
import {
  addBlob,
  buildComponent,
  containerConfig,
  run,
  send,
  sha256,
  startRuntime,
} from '../testing/runtime-harness.js';

const blobs = new Map<string, Uint8Array>();
let dir: string;
let data: string;
let ref: string;
let digest: string;
let hex: string;
let fetches = 0;

const countingFetch = (d: string): Promise<Uint8Array> => {
  fetches++;
  const b = blobs.get(d);
  return b ? Promise.resolve(b) : Promise.reject(new Error(`no blob ${d}`));
};

/** A fresh runtime on the shared data dir: pulls, creates, starts and asks the component once. */
async function runOnce(): Promise<string[]> {
  const { runtime, logs } = await startRuntime(data, blobs, { executors: 1, fetchBlob: countingFetch });
  try {
    const cfg = await run(runtime, containerConfig(await runtime.pullImage(ref), dir));
    expect((await send(runtime, cfg.id)).status).toBe(200);
    await runtime.removeContainer(cfg.id);
  } finally {
    await runtime.close();
  }
  return logs;
}

const transpiledDir = (): string => join(data, 'transpiled', hex);
const imagePath = (): string => join(data, 'images', 'sha256', `${hex}.wasm`);
const coreModule = (): string => readdirSync(transpiledDir()).find((f) => f.endsWith('.wasm'))!;

beforeAll(async () => {
  const bytes = buildComponent('hello-c');
  ref = addBlob(blobs, 'hello-c', bytes);
  digest = sha256(bytes);
  hex = digest.slice('sha256:'.length);
  dir = mkdtempSync(join(tmpdir(), 'edgeplane-torn-'));
  data = join(dir, 'data');
  await runOnce();
  expect(fetches).toBe(1);
}, 180_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('torn caches', () => {
  it('keeps whole entries: a second runtime fetches and transpiles nothing', async () => {
    const logs = await runOnce();
    expect(fetches).toBe(1);
    expect(logs.some((l) => l.includes('torn') || l.includes('"transpiled component"'))).toBe(false);
    const meta = JSON.parse(readFileSync(join(transpiledDir(), 'meta.json'), 'utf8')) as {
      version: number;
      files: Record<string, { size: number; sha256: string }>;
    };
    expect(meta.version).toBe(2);
    expect(Object.keys(meta.files)).toEqual(expect.arrayContaining(['component.mjs', coreModule()]));
  });

  it('fetches again a cached component found truncated, and transpiles again a module found changed', async () => {
    truncateSync(imagePath(), Math.floor(statSync(imagePath()).size / 2));
    const mod = join(transpiledDir(), coreModule());
    writeFileSync(mod, Buffer.alloc(statSync(mod).size)); // same size, other content
    const logs = await runOnce();
    expect(fetches).toBe(2);
    expect(sha256(readFileSync(imagePath()))).toBe(digest);
    expect(logs.find((l) => l.includes('cached wasm image found torn'))).toMatch(new RegExp(`"digest":"${digest}"`));
    expect(logs.find((l) => l.includes('transpiled component found torn'))).toMatch(
      /"why":"component\.core\d*\.wasm: content sha256:[0-9a-f]{64} instead of sha256:[0-9a-f]{64}"/,
    );
  });

  it('transpiles again an entry whose meta.json or bindings are missing', async () => {
    rmSync(join(transpiledDir(), 'component.mjs'));
    let logs = await runOnce();
    expect(logs.find((l) => l.includes('transpiled component found torn'))).toMatch(/component\.mjs: missing/);
    rmSync(join(transpiledDir(), 'meta.json'));
    logs = await runOnce();
    expect(logs.find((l) => l.includes('transpiled component found torn'))).toMatch(/meta\.json unreadable/);
    expect(existsSync(join(transpiledDir(), 'meta.json'))).toBe(true);
    expect(fetches).toBe(2);
  });

  it('drops a garbled refs.json with a log line, and saves a whole one again', async () => {
    const path = join(dir, 'refs.json');
    writeFileSync(path, '{"version":1,"tags":{"reg/app:v1":"sha256:');
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) });
    const refs = await RegistryRefs.load(path, logger);
    expect([...refs.entries()]).toEqual([]);
    expect(lines.some((l) => l.includes('ignoring an unreadable registry reference index'))).toBe(true);
    const image = { manifest: `sha256:${'1'.repeat(64)}`, digest, sizeBytes: 10 };
    await refs.record(['reg/app:v1'], image);
    expect((await RegistryRefs.load(path, logger)).byRef('reg/app:v1')).toEqual(image);
    expect(readdirSync(dir).filter((f) => f.startsWith('refs.json'))).toEqual(['refs.json']);
  });
});
