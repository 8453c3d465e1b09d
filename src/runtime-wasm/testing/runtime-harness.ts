/**
 * Test support for runtime-wasm (not a test): builds real components with scripts/build-examples.mjs
 * (examples by name, fixtures by folder; cached, so a second call is cheap), and runs a WasmRuntime
 * over an in-memory blob map with its log lines captured; {@link runtimeSuite} is the setup and
 * teardown the test files share.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { hubImageRef } from '../../api/index.js';
import type {
  ContainerConfig,
  ContainerEvent,
  PulledImage,
  WorkloadRequest,
  WorkloadResponse,
} from '../../api/index.js';
import { WasmRuntime, type WasmRuntimeDeps } from '../index.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Builds (if stale) and reads an example (`hello-c`) or a fixture folder (`testdata/echo`). */
export function buildComponent(app: string): Uint8Array {
  const isFixture = app.startsWith('testdata/');
  const target = isFixture ? join(ROOT, 'src/runtime-wasm', app) : app;
  execFileSync(process.execPath, [join(ROOT, 'scripts/build-examples.mjs'), target], {
    stdio: 'pipe',
    env: { ...process.env, CI: 'true' },
  });
  const name = app.split('/').pop()!;
  const path = isFixture
    ? join(target, 'dist', `${name}.wasm`)
    : join(ROOT, 'examples/wasm-apps', app, 'dist', `${name}.wasm`);
  if (!existsSync(path)) throw new Error(`build of ${app} produced no ${path}`);
  return readFileSync(path);
}

export const sha256 = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/**
 * A runtime whose blobs come from `blobs`, with its log lines captured. With `sharedTranspiled`, its
 * transpile cache is that folder (a symlink at `<dataDir>/transpiled`): the runtimes of one test file
 * then transpile each component once, as one agent does across restarts, instead of once per runtime
 * (a JavaScript component takes ~1 s to transpile, most of a short test's time).
 */
export async function startRuntime(
  dataDir: string,
  blobs: Map<string, Uint8Array>,
  opts: Partial<WasmRuntimeDeps> = {},
  sharedTranspiled?: string,
) {
  if (sharedTranspiled !== undefined) {
    mkdirSync(sharedTranspiled, { recursive: true });
    mkdirSync(dataDir, { recursive: true });
    // A data dir reused by a later runtime of the file already has its link.
    if (!existsSync(join(dataDir, 'transpiled'))) symlinkSync(sharedTranspiled, join(dataDir, 'transpiled'));
  }
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
  const runtime = await WasmRuntime.create({
    dataDir,
    logger,
    fetchBlob: (digest) => {
      const b = blobs.get(digest);
      return b ? Promise.resolve(b) : Promise.reject(new Error(`no blob ${digest}`));
    },
    ...opts,
  });
  const events: ContainerEvent[] = [];
  runtime.subscribe((e) => void events.push(e));
  return { runtime, logs, events };
}

/** Adds a component to `blobs` and returns its hub reference. */
export function addBlob(blobs: Map<string, Uint8Array>, name: string, bytes: Uint8Array): string {
  blobs.set(sha256(bytes), bytes);
  return hubImageRef(`${name}.wasm`, sha256(bytes));
}

/** What {@link runtimeSuite} gives a test file. */
export interface RuntimeSuite<K extends string = string> {
  /** The file's components, by digest. */
  readonly blobs: Map<string, Uint8Array>;
  /** Each component's hub reference, by the name it was given (set before the tests run). */
  readonly refs: Readonly<Record<K, string>>;
  /** The file's temporary folder (set before the tests run). */
  readonly dir: string;
  /** Runtimes closed after the file's tests (the ones {@link start} made, and any pushed here). */
  readonly runtimes: WasmRuntime[];
  /** The transpile cache the file's runtimes share (see {@link startRuntime}). */
  readonly transpiled: string;
  /** Starts a runtime over {@link blobs} in `<dir>/<sub>`, closed after the file's tests. */
  start(sub: string, opts?: Partial<WasmRuntimeDeps>): ReturnType<typeof startRuntime>;
}

/**
 * The setup and teardown of a test file that runs WasmRuntimes: before its tests, builds
 * `components` (name → example or fixture folder, see {@link buildComponent}) into one blob map and
 * makes a temporary folder named after `prefix`; after them, closes its runtimes and removes the folder.
 */
export function runtimeSuite<K extends string>(
  prefix: string,
  components: Record<K, string>,
  timeoutMs = 300_000,
): RuntimeSuite<K> {
  const blobs = new Map<string, Uint8Array>();
  const refs = {} as Record<K, string>;
  const runtimes: WasmRuntime[] = [];
  let dir = '';
  beforeAll(() => {
    for (const [name, app] of Object.entries<string>(components))
      refs[name as K] = addBlob(blobs, name, buildComponent(app));
    dir = mkdtempSync(join(tmpdir(), `edgeplane-${prefix}-`));
  }, timeoutMs);
  afterAll(async () => {
    await Promise.all(runtimes.map((r) => r.close()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    blobs,
    refs,
    get dir() {
      return dir;
    },
    runtimes,
    get transpiled() {
      return join(dir, 'transpiled-shared');
    },
    async start(sub, opts = {}) {
      const h = await startRuntime(join(dir, sub), blobs, opts, join(dir, 'transpiled-shared'));
      runtimes.push(h.runtime);
      return h;
    },
  };
}

let seq = 0;

/** A container config for `image` (a fresh id, and a pod uid unless given). */
export function containerConfig(image: PulledImage, dir: string, over: Partial<ContainerConfig> = {}): ContainerConfig {
  const id = `c${++seq}-${process.pid}`;
  return {
    id,
    pod: { namespace: 'default', name: `pod-${id}`, uid: `uid-${id}` },
    name: 'app',
    image,
    command: [],
    args: [],
    env: {},
    ports: [8080],
    limits: {},
    logPath: join(dir, 'logs', `${id}.log`),
    ...over,
  };
}

/** Creates and starts a container. */
export async function run(runtime: WasmRuntime, config: ContainerConfig): Promise<ContainerConfig> {
  await runtime.createContainer(config);
  await runtime.startContainer(config.id);
  return config;
}

/** Sends one request through the container's in-process endpoint. */
export function send(runtime: WasmRuntime, id: string, req: Partial<WorkloadRequest> = {}): Promise<WorkloadResponse> {
  const ep = runtime.endpoint(id, 8080);
  if (ep.kind !== 'in-process') throw new Error('expected an in-process endpoint');
  return ep.handle({
    method: 'GET',
    path: '/',
    authority: 'app.local',
    scheme: 'http',
    headers: [],
    body: new Uint8Array(),
    ...req,
  });
}

export const text = (r: WorkloadResponse): string => new TextDecoder().decode(r.body);

/** The next `exited` event of container `id`. */
export function nextExit(runtime: WasmRuntime, id: string): Promise<ContainerEvent> {
  return new Promise((resolve) => {
    const off = runtime.subscribe((e) => {
      if (e.status.id === id) {
        off();
        resolve(e);
      }
    });
  });
}

/** Polls `fn` until true (every 20 ms), failing after `timeoutMs`. */
export async function until(what: string, fn: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
