/**
 * The config-reader example (JavaScript, componentize-js) on the real runtime: it answers with a file
 * of its mounted config volume and a wasi:config key, sees the volume's new content after a kubelet
 * `..data` swap, and cannot read outside its mount.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { publishProjection } from './testing/projection.js';
import { containerConfig, run, runtimeSuite, send, text } from './testing/runtime-harness.js';
import type { WasmRuntime } from './wasm-runtime.js';

const suite = runtimeSuite('config-reader', { reader: 'config-reader' });
let rt: WasmRuntime;
let id: string;
let volume: string;
let subPathDir: string;

const get = async (path: string): Promise<{ status: number; doc: Record<string, unknown> }> => {
  const r = await send(rt, id, { path });
  return { status: r.status, doc: JSON.parse(text(r)) as Record<string, unknown> };
};

beforeAll(async () => {
  // A generous request deadline: the first request of a fresh StarlingMonkey instance took 15 s on
  // a shared 2-core machine under load (a functional bound, not a timing goal).
  rt = (await suite.start('rt', { requestTimeoutMs: 60_000 })).runtime;
  volume = join(suite.dir, 'settings');
  mkdirSync(volume);
  writeFileSync(join(suite.dir, 'outside.txt'), 'not yours\n');
  subPathDir = join(suite.dir, 'subpath-copy');
  mkdirSync(subPathDir);
  writeFileSync(join(subPathDir, 'config.json'), '{"mode":"file-subpath"}\n');
  writeFileSync(join(subPathDir, 'sibling.txt'), 'not mounted\n');
  publishProjection(volume, '..2026_01_01_00_00_00.1', { greeting: 'hello from a ConfigMap\n' });
  const cfg = containerConfig(await rt.pullImage(suite.refs.reader), suite.dir, {
    config: { greeting: 'hello from wasi:config', 'api-key': 'k-123' },
    mounts: [
      { volume: 'settings', hostPath: volume, containerPath: '/etc/config', readOnly: true },
      // A subPath naming a file (the agent's copy of one key, beside a file the guest must not see).
      {
        volume: 'app',
        hostPath: join(subPathDir, 'config.json'),
        containerPath: '/etc/app/settings.json',
        readOnly: true,
      },
    ],
  });
  await run(rt, cfg);
  id = cfg.id;
}, 300_000);

describe('config-reader', () => {
  it('answers with the mounted file and the wasi:config key', async () => {
    await expect(get('/')).resolves.toEqual({
      status: 200,
      doc: {
        file: '/etc/config/greeting',
        content: 'hello from a ConfigMap\n',
        key: 'greeting',
        value: 'hello from wasi:config',
      },
    });
    await expect(get('/config?key=api-key')).resolves.toMatchObject({ doc: { value: 'k-123' } });
    await expect(get('/config?key=missing')).resolves.toMatchObject({ doc: { value: null } });
  });

  it('reads the new content after a ..data swap, on the same instance', async () => {
    publishProjection(volume, '..2026_01_01_00_01_00.2', { greeting: 'updated\n' });
    rmSync(join(volume, '..2026_01_01_00_00_00.1'), { recursive: true });
    await expect(get('/file?path=/etc/config/greeting')).resolves.toMatchObject({ doc: { content: 'updated\n' } });
  });

  it('cannot read outside its mount', async () => {
    for (const path of ['/etc/config/../outside.txt', `${suite.dir}/outside.txt`, '/etc/passwd']) {
      const r = await get(`/file?path=${encodeURIComponent(path)}`);
      expect(r.status, path).toBe(404);
      expect(r.doc.content, path).toBeUndefined();
    }
  });

  it('reads a file mounted alone (subPath naming a file) through a directory holding just that file', async () => {
    await expect(get('/file?path=/etc/app/settings.json')).resolves.toMatchObject({
      status: 200,
      doc: { content: '{"mode":"file-subpath"}\n' },
    });
    // Nothing else of the node directory around it: not its sibling, not by its host name, not above it.
    for (const path of [
      '/etc/app/sibling.txt',
      '/etc/app/config.json',
      '/etc/app/../outside.txt',
      '/etc/app/settings.json/x',
    ]) {
      const r = await get(`/file?path=${encodeURIComponent(path)}`);
      expect(r.status, path).toBe(404);
      expect(r.doc.content, path).toBeUndefined();
    }
  });
});
