/**
 * WasmRuntime against real components (examples/wasm-apps, built by scripts/build-examples.mjs if
 * missing or stale) and real jco transpiles; the blob source is an in-memory map.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateContainerError,
  ImagePullError,
  ServiceUnavailableError,
  TimeoutError,
  hubImageRef,
} from '../api/index.js';
import type { ContainerEvent, PulledImage, WorkloadResponse } from '../api/index.js';
import { WasmRuntime } from './index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function buildExample(app: string): Uint8Array {
  execFileSync(process.execPath, [join(ROOT, 'scripts/build-examples.mjs'), app], {
    stdio: 'pipe',
    env: { ...process.env, CI: 'true' },
  });
  const path = join(ROOT, 'examples/wasm-apps', app, 'dist', `${app}.wasm`);
  expect(existsSync(path)).toBe(true);
  return readFileSync(path);
}

const sha256 = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A runtime over an in-memory blob map, with its log lines captured and its fetches counted. */
function harness(dataDir: string, blobs: Map<string, Uint8Array>, requestTimeoutMs?: number) {
  const fetched: string[] = [];
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
  const runtime = WasmRuntime.create({
    dataDir,
    logger,
    requestTimeoutMs,
    fetchBlob: (digest) => {
      fetched.push(digest);
      const b = blobs.get(digest);
      return b ? Promise.resolve(b) : Promise.reject(new Error(`no blob ${digest}`));
    },
  });
  return { runtime, fetched, logs };
}

let seq = 0;
function containerConfig(image: PulledImage, dir: string, env: Record<string, string> = {}) {
  const id = `c${++seq}`;
  return {
    id,
    pod: { namespace: 'default', name: `pod-${id}`, uid: `uid-${id}` },
    name: 'app',
    image,
    command: [],
    args: [],
    env,
    ports: [8080],
    limits: {},
    logPath: join(dir, 'logs', `${id}.log`),
  };
}

async function get(runtime: WasmRuntime, id: string, path: string, timeoutMs?: number): Promise<WorkloadResponse> {
  const ep = runtime.endpoint(id, 8080);
  if (ep.kind !== 'in-process') throw new Error('expected an in-process endpoint');
  return ep.handle({
    method: 'GET',
    path,
    authority: 'app.local',
    scheme: 'http',
    headers: [['accept', '*/*']],
    body: new Uint8Array(),
    timeoutMs,
  });
}

const json = (r: WorkloadResponse): Record<string, unknown> =>
  JSON.parse(new TextDecoder().decode(r.body)) as Record<string, unknown>;

function nextExit(runtime: WasmRuntime, id: string): Promise<ContainerEvent> {
  return new Promise((resolve) => {
    const off = runtime.subscribe((e) => {
      if (e.status.id === id) {
        off();
        resolve(e);
      }
    });
  });
}

const blobs = new Map<string, Uint8Array>();
let dir: string;
let helloRef: string;
let misbehaveRef: string;
let rt: WasmRuntime;
let h: ReturnType<typeof harness>;

beforeAll(async () => {
  const hello = buildExample('hello');
  const misbehave = buildExample('misbehave');
  blobs.set(sha256(hello), hello);
  blobs.set(sha256(misbehave), misbehave);
  helloRef = hubImageRef('hello.wasm', sha256(hello));
  misbehaveRef = hubImageRef('misbehave.wasm', sha256(misbehave));
  dir = mkdtempSync(join(tmpdir(), 'edgeplane-wasm-'));
  // A generous default deadline: at load 10+ an ordinary request can take over a second. Only the
  // looping request below has a short one of its own.
  h = harness(join(dir, 'data'), blobs, 30_000);
  rt = await h.runtime;
}, 180_000);

afterAll(async () => {
  await rt?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('pullImage', () => {
  it('pulls by digest, verifies, caches on disk and does not fetch a cached digest again', async () => {
    const img = await rt.pullImage(helloRef);
    expect(img.digest).toBe(helloRef.split('@')[1]);
    expect(img.sizeBytes).toBe(blobs.get(img.digest)?.byteLength);
    expect(existsSync(join(dir, 'data/images/sha256', `${img.digest.slice(7)}.wasm`))).toBe(true);
    await rt.pullImage(helloRef);
    await rt.pullImage(hubImageRef('other-name.wasm', img.digest));
    expect(h.fetched.filter((d) => d === img.digest)).toHaveLength(1);
    expect(rt.listImages()).toEqual(expect.arrayContaining([helloRef, img.digest]));
    // A second runtime on the same data dir finds it on disk.
    const again = harness(join(dir, 'data'), blobs);
    const rt2 = await again.runtime;
    await rt2.pullImage(helloRef);
    expect(again.fetched).toHaveLength(0);
    await rt2.close();
  });

  it('refuses content whose sha256 differs from the digest, naming both', async () => {
    const bogus = sha256(new Uint8Array([1, 2, 3]));
    blobs.set(bogus, new Uint8Array([4, 5, 6]));
    const err = await rt.pullImage(hubImageRef('bogus.wasm', bogus)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImagePullError);
    expect((err as Error).message).toContain(`expected ${bogus}`);
    expect((err as Error).message).toContain(sha256(new Uint8Array([4, 5, 6])));
  });

  it('refuses references it cannot pull', async () => {
    await expect(rt.pullImage('Not/A Ref')).rejects.toThrow(ImagePullError);
    await expect(rt.pullImage('Not/A Ref')).rejects.toThrow(/invalid image reference/);
    await expect(rt.pullImage('edgeplane.hub/hello.wasm:1.0')).rejects.toThrow(/pinned by digest/);
  });
});

describe('createContainer', () => {
  it.each([
    ['garbage bytes', new TextEncoder().encode('this is not wasm at all')],
    ['a core module, not a component', new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00])],
  ])('fails with CreateContainerError for %s', async (_what, bytes) => {
    blobs.set(sha256(bytes), bytes);
    const img = await rt.pullImage(hubImageRef('broken.wasm', sha256(bytes)));
    const err = await rt.createContainer(containerConfig(img, dir)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CreateContainerError);
    expect((err as Error).message).toMatch(/not a valid Wasm component: .+/);
  });
});

describe('serving HTTP from a worker', () => {
  it('answers many sequential requests on one reused instance, with the pod env, and logs to logPath', async () => {
    const img = await rt.pullImage(misbehaveRef);
    const cfg = containerConfig(img, dir, { POD_NAME: 'web-1', NODE_NAME: 'edge-a', SECRET_OF_AGENT: 'no' });
    await rt.createContainer(cfg);
    await rt.startContainer(cfg.id);
    expect(rt.containerStatus(cfg.id)?.state).toBe('running');
    for (let i = 1; i <= 40; i++) {
      const res = await get(rt, cfg.id, '/');
      expect(res.status).toBe(200);
      expect(json(res)).toEqual({ message: 'hello from Edgeplane', pod: 'web-1', node: 'edge-a', served: i });
    }
    const res = await get(rt, cfg.id, '/log?msg=hi%20there');
    expect(res.status).toBe(200);
    await rt.stopContainer(cfg.id, 1000);
    expect(rt.containerStatus(cfg.id)).toMatchObject({ state: 'exited', exitCode: 0, reason: 'Completed' });
    await expect(get(rt, cfg.id, '/')).rejects.toThrow(ServiceUnavailableError);
    await rt.removeContainer(cfg.id);
    const log = readFileSync(cfg.logPath, 'utf8');
    expect(log).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stdout F hi there$/m);
    expect(log).toMatch(/^\S+ stderr F err: hi there$/m);
  });

  it('serves hello with application/json', async () => {
    const img = await rt.pullImage(helloRef);
    const cfg = containerConfig(img, dir, { POD_NAME: 'hello-1', NODE_NAME: 'edge-b' });
    await rt.createContainer(cfg);
    await rt.startContainer(cfg.id);
    const res = await get(rt, cfg.id, '/');
    expect(res.status).toBe(200);
    expect(res.headers).toContainEqual(['content-type', 'application/json']);
    expect(json(res)).toEqual({ message: 'hello from Edgeplane', pod: 'hello-1', node: 'edge-b' });
    await rt.removeContainer(cfg.id);
  });

  it('exit(3) ends the container with exit code 3, not the agent', async () => {
    const img = await rt.pullImage(misbehaveRef);
    const cfg = containerConfig(img, dir);
    await rt.createContainer(cfg);
    await rt.startContainer(cfg.id);
    const exited = nextExit(rt, cfg.id);
    await expect(get(rt, cfg.id, '/exit?code=3')).rejects.toThrow(ServiceUnavailableError);
    const event = await exited;
    expect(event).toMatchObject({
      type: 'exited',
      status: { id: cfg.id, state: 'exited', exitCode: 3, reason: 'Error' },
    });
    expect(process.exitCode).toBeUndefined();
    await rt.removeContainer(cfg.id);
  });

  it('a trap fails the request and ends the container with reason Error', async () => {
    const img = await rt.pullImage(misbehaveRef);
    const cfg = containerConfig(img, dir);
    await rt.createContainer(cfg);
    await rt.startContainer(cfg.id);
    const exited = nextExit(rt, cfg.id);
    await expect(get(rt, cfg.id, '/trap')).rejects.toThrow(/unreachable/);
    const event = await exited;
    expect(event.status).toMatchObject({ state: 'exited', reason: 'Error', exitCode: 1 });
    expect(event.status.message).toMatch(/unreachable/);
    await rt.removeContainer(cfg.id);
    expect(readFileSync(cfg.logPath, 'utf8')).toContain('misbehave: trap requested');
  });

  it("a guest that spins forever blocks neither the main thread nor other containers, and is killed at its pod's deadline", async () => {
    const img = await rt.pullImage(misbehaveRef);
    // The looping pod's own deadline (its edgeplane.io/request-timeout) is 1.5 s; the other pod keeps
    // the node's 30 s, so the loop's deadline is not the neighbour's.
    const looper = { ...containerConfig(img, dir), requestTimeoutMs: 1500 };
    const other = containerConfig(img, dir, { POD_NAME: 'other' });
    for (const cfg of [looper, other]) {
      await rt.createContainer(cfg);
      await rt.startContainer(cfg.id);
    }
    let ticks = 0;
    const interval = setInterval(() => ticks++, 50);
    const exited = nextExit(rt, looper.id);
    const looping = get(rt, looper.id, '/loop').catch((e: unknown) => e);
    // While the guest spins (deadline 1.5 s), the other container keeps answering.
    const answers: number[] = [];
    for (let i = 0; i < 5; i++) answers.push((await get(rt, other.id, '/')).status);
    const err = await looping;
    clearInterval(interval);
    expect(answers).toEqual([200, 200, 200, 200, 200]);
    expect(ticks).toBeGreaterThanOrEqual(10);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toMatch(/timed out: GET \/loop got no answer from .+ within 1500 ms/);
    const event = await exited;
    expect(event.status).toMatchObject({ state: 'exited', reason: 'DeadlineExceeded', exitCode: 137 });
    expect(event.status.message).toContain('GET /loop');
    expect((await get(rt, other.id, '/')).status).toBe(200);
    await rt.removeContainer(looper.id);
    await rt.removeContainer(other.id);
  });
});

describe('transpile cache', () => {
  it('is reused from disk by a second runtime instance', async () => {
    const img = await rt.pullImage(helloRef);
    const cfg = containerConfig(img, dir, { POD_NAME: 'p', NODE_NAME: 'n' });
    await rt.createContainer(cfg); // transpiled earlier in this file, or now
    await rt.removeContainer(cfg.id);
    expect(existsSync(join(dir, 'data/transpiled', img.digest.slice(7), 'meta.json'))).toBe(true);

    const second = harness(join(dir, 'data'), blobs, 30_000);
    const rt2 = await second.runtime;
    const cfg2 = containerConfig(await rt2.pullImage(helloRef), dir, { POD_NAME: 'p2', NODE_NAME: 'n2' });
    await rt2.createContainer(cfg2);
    expect(second.logs.filter((l) => l.includes('transpiled component'))).toHaveLength(0);
    await rt2.startContainer(cfg2.id);
    expect(json(await get(rt2, cfg2.id, '/'))).toMatchObject({ pod: 'p2', node: 'n2' });
    await rt2.close();
  });
});
