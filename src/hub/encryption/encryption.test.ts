import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../platform/index.js';
import { SqliteStore, type StoreEvent } from '../store/index.js';
import {
  DecryptionError,
  ENVELOPE_PREFIX,
  EncryptingStore,
  Keyring,
  KeyringError,
  decryptValue,
  encryptValue,
  loadHubKeyring,
  openHubStore,
  rotateEncryptionKey,
} from './index.js';

const SECRET_VALUE = 'c2VjcmV0LXZhbHVlLTQyLWZvci1ncmVw'; // what a Secret's data holds (base64)
const secret = (v: string): unknown => ({ kind: 'Secret', metadata: { name: 's' }, data: { password: v } });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hub-encryption-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Every byte of the SQLite files (the database, its WAL and shared memory) as latin1 text. */
function dbBytes(): string {
  return readdirSync(dir)
    .filter((f) => f.startsWith('state.db'))
    .map((f) => readFileSync(join(dir, f)).toString('latin1'))
    .join('');
}

describe('keyring', () => {
  it('is created 0600 with one key on first start and read back the same', async () => {
    const k = await loadHubKeyring(dir, undefined, silentLogger());
    const path = join(dir, 'encryption.keys');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(k.primary.name).toBe('key1');
    const again = await loadHubKeyring(dir, undefined, silentLogger());
    expect(again.primary.key.equals(k.primary.key)).toBe(true);
  });

  it('names the file and line of a bad entry, never key material, and refuses a file others can read', async () => {
    expect(() => Keyring.parse('# c\nk1:AAAA\n', 'f.keys')).toThrow(
      'f.keys line 2: key "k1" must be 32 bytes (base64)',
    );
    expect(() => Keyring.parse('bad name:AAAA\n', 'f.keys')).toThrow(/f.keys line 1: expected <name>:<base64 key>/);
    expect(() => Keyring.parse('# only comments\n', 'f.keys')).toThrow(KeyringError);
    const open = join(dir, 'open.keys');
    writeFileSync(open, new Keyring([{ name: 'a', key: Buffer.alloc(32, 1) }]).format(), { mode: 0o644 });
    await expect(Keyring.load(open)).rejects.toThrow(/open to other users \(mode 644\); chmod 600 it/);
    await expect(loadHubKeyring(dir, join(dir, 'missing.keys'), silentLogger())).rejects.toThrow(/ENOENT/);
  });
});

describe('envelope', () => {
  const ring = new Keyring([{ name: 'k1', key: Buffer.alloc(32, 7) }]);
  it("carries Kubernetes' prefix with the key name, a fresh data key each time, and the store key as AAD", () => {
    const a = encryptValue(ring, '/registry/secrets/ns/a', { x: 1 });
    const b = encryptValue(ring, '/registry/secrets/ns/a', { x: 1 });
    expect(a.startsWith(`${ENVELOPE_PREFIX}k1:`)).toBe(true);
    expect(a).not.toBe(b);
    expect(decryptValue(ring, '/registry/secrets/ns/a', a)).toEqual({ x: 1 });
    expect(() => decryptValue(ring, '/registry/secrets/ns/b', a)).toThrow(DecryptionError);
    const other = new Keyring([{ name: 'k2', key: Buffer.alloc(32, 8) }]);
    expect(() => decryptValue(other, '/registry/secrets/ns/a', a)).toThrow('key "k1" is not in the encryption keyring');
    const tampered = a.slice(0, -6) + (a.endsWith('AAAA==') ? 'BBBB==' : 'AAAA==');
    expect(() => decryptValue(ring, '/registry/secrets/ns/a', tampered)).toThrow(/damaged/);
  });
});

describe('EncryptingStore', () => {
  it('keeps Secret values out of the database file; get, list and watch see plaintext; others stay clear', async () => {
    const ring = await loadHubKeyring(dir, undefined, silentLogger());
    const store = await openHubStore(dir, ring, silentLogger());
    const events: StoreEvent[] = [];
    const stop = await store.watch('/registry/', 0, (e) => events.push(e));
    await store.create('/registry/secrets/default/s', secret(SECRET_VALUE));
    const rev = (await store.get('/registry/secrets/default/s'))?.modRevision ?? 0;
    await store.update('/registry/secrets/default/s', secret(`${SECRET_VALUE}2`), rev);
    await store.create('/registry/configmaps/default/c', { data: { visible: 'config-in-clear' } });
    expect((await store.get('/registry/secrets/default/s'))?.value).toEqual(secret(`${SECRET_VALUE}2`));
    const listed = await store.list('/registry/');
    expect(listed.items.map((i) => i.value)).toEqual([
      { data: { visible: 'config-in-clear' } },
      secret(`${SECRET_VALUE}2`),
    ]);
    expect(events.map((e) => e.value)).toEqual([
      secret(SECRET_VALUE),
      secret(`${SECRET_VALUE}2`),
      { data: { visible: 'config-in-clear' } },
    ]);
    expect(events[1]?.prevValue).toEqual(secret(SECRET_VALUE));
    stop();
    const bytes = dbBytes();
    expect(bytes).toContain('config-in-clear');
    expect(bytes).toContain(ENVELOPE_PREFIX);
    expect(bytes).not.toContain(SECRET_VALUE);
    await store.close();
  });

  it('rotation re-encrypts every Secret (plaintext ones from before included) with a new first key', async () => {
    // A Secret written in clear before encryption existed, then one written encrypted.
    const raw = await SqliteStore.create({ path: join(dir, 'state.db'), logger: silentLogger() });
    await raw.create('/registry/secrets/default/old', secret('b2xk'));
    await raw.close();
    const ring = await loadHubKeyring(dir, undefined, silentLogger());
    const store = await openHubStore(dir, ring, silentLogger());
    expect((await store.get('/registry/secrets/default/old'))?.value).toEqual(secret('b2xk'));
    await store.create('/registry/secrets/default/new', secret('bmV3'));
    await store.close();

    const r = await rotateEncryptionKey({ dataDir: dir, logger: silentLogger() });
    expect(r).toEqual({ keyName: 'key2', rewritten: 2, unchanged: 0, droppedKeys: [] });
    const ring2 = await Keyring.load(join(dir, 'encryption.keys'));
    expect(ring2.keys.map((k) => k.name)).toEqual(['key2', 'key1']);
    const check = await SqliteStore.create({ path: join(dir, 'state.db'), logger: silentLogger() });
    for (const i of (await check.list('/registry/secrets/')).items)
      expect(String(i.value).startsWith(`${ENVELOPE_PREFIX}key2:`)).toBe(true);
    await check.close();

    const r2 = await rotateEncryptionKey({ dataDir: dir, dropOldKeys: true, logger: silentLogger() });
    expect(r2).toEqual({ keyName: 'key3', rewritten: 2, unchanged: 0, droppedKeys: ['key2', 'key1'] });
    const ring3 = await Keyring.load(join(dir, 'encryption.keys'));
    expect(ring3.keys.map((k) => k.name)).toEqual(['key3']);
    const wrapped = new EncryptingStore(
      await SqliteStore.create({ path: join(dir, 'state.db'), logger: silentLogger() }),
      ring3,
      { prefixes: ['/registry/secrets/'], logger: silentLogger() },
    );
    expect((await wrapped.get('/registry/secrets/default/new'))?.value).toEqual(secret('bmV3'));
    expect(await wrapped.reencrypt()).toEqual({ rewritten: 0, unchanged: 2 });
    await wrapped.close();
  });

  it('refuses to rotate while a hub holds the data dir', async () => {
    const ring = await loadHubKeyring(dir, undefined, silentLogger());
    const { acquireDataDirLock } = await import('../../durable/index.js');
    const lock = acquireDataDirLock(dir, { program: 'edge-hub' });
    await expect(rotateEncryptionKey({ dataDir: dir, logger: silentLogger() })).rejects.toThrow(/in use/);
    lock.release();
    expect((await Keyring.load(join(dir, 'encryption.keys'))).primary.name).toBe(ring.primary.name);
  });
});
