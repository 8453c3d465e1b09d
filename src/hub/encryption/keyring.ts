/**
 * The key-encryption keys of the hub's at-rest encryption: a keyring file, one key a line
 * (`<name>:<base64 of 32 bytes>`, `#` comments). The first key encrypts; every key decrypts, so a
 * rotation can add a key and re-encrypt before the old one goes. Created 0600 on first start.
 */
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { writeFileDurable } from '../../durable/index.js';

/** Key names appear in the stored prefix `k8s:enc:aesgcm:v1:<name>:`, so no `:`. */
const KEY_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const KEY_BYTES = 32;

/** One named AES-256 key. */
export interface NamedKey {
  name: string;
  key: Buffer;
}

/** A malformed or unusable keyring file; the message names the file and line, never key material. */
export class KeyringError extends Error {}

/** Keys in order: `keys[0]` encrypts, all decrypt. */
export class Keyring {
  private readonly byName: Map<string, Buffer>;

  constructor(readonly keys: readonly NamedKey[]) {
    if (keys.length === 0) throw new KeyringError('an encryption keyring needs at least one key');
    this.byName = new Map(keys.map((k) => [k.name, k.key]));
    if (this.byName.size !== keys.length) throw new KeyringError('an encryption keyring has a key name twice');
  }

  /** The key that encrypts new values. */
  get primary(): NamedKey {
    return this.keys[0] as NamedKey;
  }

  /** The key named `name`, if the keyring holds it. */
  key(name: string): Buffer | undefined {
    return this.byName.get(name);
  }

  /** A keyring with a fresh key first (named after the highest `keyN`), the others kept for decryption. */
  withNewPrimary(): Keyring {
    const n = Math.max(0, ...this.keys.map((k) => Number(/^key(\d+)$/.exec(k.name)?.[1] ?? 0)));
    return new Keyring([{ name: `key${n + 1}`, key: randomBytes(KEY_BYTES) }, ...this.keys]);
  }

  /**
   * A keyring with a fresh key second: it decrypts but does not encrypt yet. The first step of an online
   * rotation, so every hub can read values under the new key before any hub writes one.
   */
  withNewSecondary(): Keyring {
    const n = Math.max(0, ...this.keys.map((k) => Number(/^key(\d+)$/.exec(k.name)?.[1] ?? 0)));
    const [first, ...rest] = this.keys;
    return new Keyring([first as NamedKey, { name: `key${n + 1}`, key: randomBytes(KEY_BYTES) }, ...rest]);
  }

  /** A keyring with key `name` moved first (it encrypts from now on); KeyringError if absent. */
  promoted(name: string): Keyring {
    const key = this.keys.find((k) => k.name === name);
    if (key === undefined) throw new KeyringError(`no key "${name}" in the encryption keyring`);
    return new Keyring([key, ...this.keys.filter((k) => k.name !== name)]);
  }

  /** The names of the keys, the primary first (never key material). */
  get names(): string[] {
    return this.keys.map((k) => k.name);
  }

  /** The file text of this keyring. */
  format(): string {
    const lines = this.keys.map((k) => `${k.name}:${k.key.toString('base64')}`);
    return `# Edgeplane hub encryption keys: the first encrypts, all decrypt. Keep this file secret (0600).\n${lines.join('\n')}\n`;
  }

  /** Parses keyring text; `source` names the file in errors. */
  static parse(text: string, source: string): Keyring {
    const keys: NamedKey[] = [];
    text.split('\n').forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const at = line.indexOf(':');
      const name = line.slice(0, Math.max(0, at));
      const key = Buffer.from(line.slice(at + 1), 'base64');
      if (at < 0 || !KEY_NAME.test(name))
        throw new KeyringError(`${source} line ${i + 1}: expected <name>:<base64 key>, name of [A-Za-z0-9._-]`);
      if (key.length !== KEY_BYTES)
        throw new KeyringError(`${source} line ${i + 1}: key "${name}" must be ${KEY_BYTES} bytes (base64)`);
      keys.push({ name, key });
    });
    if (keys.length === 0) throw new KeyringError(`${source}: no key in the file`);
    return new Keyring(keys);
  }

  /** Reads the keyring at `path`; refuses a file other users may read. */
  static async load(path: string): Promise<Keyring> {
    const st = await stat(path);
    if ((st.mode & 0o077) !== 0)
      throw new KeyringError(
        `encryption key file ${path} is open to other users (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`,
      );
    return Keyring.parse(await readFile(path, 'utf8'), path);
  }

  /** Reads the keyring at `path`, creating it (one fresh key, mode 0600) when it does not exist. */
  static async loadOrCreate(path: string): Promise<{ keyring: Keyring; created: boolean }> {
    try {
      return { keyring: await Keyring.load(path), created: false };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const keyring = new Keyring([{ name: 'key1', key: randomBytes(KEY_BYTES) }]);
    await keyring.save(path);
    return { keyring, created: true };
  }

  /** Writes the keyring durably, mode 0600 (the whole new file or the old one after a power cut). */
  async save(path: string): Promise<void> {
    await writeFileDurable(path, this.format(), { mode: 0o600 });
  }
}
