import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConfigObject } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { ConfigStore } from './config-store.js';
import { loadOrCreateNodeKey } from './node-key.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'edge-config-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const VALUE = 'hunter2-top-secret-value';
function secret(name: string, rv: string, value = VALUE): ConfigObject {
  return {
    kind: 'Secret',
    namespace: 'default',
    name,
    uid: `uid-${name}`,
    resourceVersion: rv,
    data: { password: new TextEncoder().encode(value) },
  };
}

async function open(): Promise<ConfigStore> {
  const key = await loadOrCreateNodeKey(path.join(dir, 'node.key'));
  return ConfigStore.open({ dir: path.join(dir, 'objects'), key, logger: silentLogger() });
}

/** Every byte of every file under `root`, for a grep. */
async function allBytes(root: string): Promise<string> {
  let out = '';
  for (const e of await readdir(root, { recursive: true, withFileTypes: true }))
    if (e.isFile()) out += (await readFile(path.join(e.parentPath, e.name))).toString('latin1');
  return out;
}

describe('ConfigStore', () => {
  it('keeps objects sealed on disk (no value in clear) and brings them back after a restart', async () => {
    const store = await open();
    await store.upsert(secret('db', '1'));
    await store.flush();
    expect((await stat(path.join(dir, 'node.key'))).mode & 0o777).toBe(0o600);
    expect(await allBytes(dir)).not.toContain(VALUE);
    expect(await allBytes(dir)).not.toContain(Buffer.from(VALUE).toString('base64'));

    const again = await open();
    const got = again.get('Secret', 'default', 'db');
    expect(got && Buffer.from(got.data.password!).toString()).toBe(VALUE);
  });

  it('replaceAll removes what the hub no longer lists, and reports changed keys once', async () => {
    const store = await open();
    const changes: string[][] = [];
    store.onChange((keys) => changes.push(keys));
    await store.replaceAll([secret('a', '1'), secret('b', '1')]);
    await store.replaceAll([secret('b', '1'), secret('c', '5')]);
    await store.replaceAll([secret('b', '1'), secret('c', '5')]); // unchanged: no event
    expect(changes).toEqual([
      ['Secret/default/a', 'Secret/default/b'],
      ['Secret/default/a', 'Secret/default/c'],
    ]);
    await store.remove('Secret', 'default', 'b');
    await store.flush();
    expect((await readdir(path.join(dir, 'objects'))).sort()).toEqual(['Secret_default_c.sealed']);
    expect((await open()).size).toBe(1);
  });

  it('drops a file that was altered, sealed under another key, or moved to another name', async () => {
    const store = await open();
    await store.upsert(secret('a', '1'));
    await store.upsert(secret('b', '1'));
    await store.flush();
    const objects = path.join(dir, 'objects');
    const a = await readFile(path.join(objects, 'Secret_default_a.sealed'));
    a.writeUInt8(a.readUInt8(a.length - 1) ^ 1, a.length - 1);
    await writeFile(path.join(objects, 'Secret_default_a.sealed'), a);
    // b's file under c's name: the identity is bound into the seal.
    await writeFile(
      path.join(objects, 'Secret_default_c.sealed'),
      await readFile(path.join(objects, 'Secret_default_b.sealed')),
    );
    const again = await open();
    expect(again.get('Secret', 'default', 'a')).toBeUndefined();
    expect(again.get('Secret', 'default', 'c')).toBeUndefined();
    expect(again.get('Secret', 'default', 'b')).toBeDefined();
    expect((await readdir(objects)).sort()).toEqual(['Secret_default_b.sealed']);
  });

  it('refuses a key file that holds no key', async () => {
    await writeFile(path.join(dir, 'bad.key'), 'short');
    await expect(loadOrCreateNodeKey(path.join(dir, 'bad.key'))).rejects.toThrow(/holds 5 bytes, not a 32-byte key/);
  });
});
