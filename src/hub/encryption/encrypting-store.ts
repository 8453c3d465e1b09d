/**
 * At-rest encryption as a `Store` wrapper (Kubernetes' transformer over etcd): values of keys under
 * the encrypted prefixes (the hub: `/registry/secrets/`) are written as envelopes
 * (`envelope.ts`) and decrypted on every read — get, list and watch events alike — so nothing above
 * the store sees ciphertext and nothing below it sees plaintext. A value stored in clear before
 * encryption was enabled is still read (as Kubernetes' `identity` fallback) and is encrypted by the
 * next write or by {@link EncryptingStore.reencrypt}.
 */
import type { Logger } from '../../api/index.js';
import { ConflictError, errorMessage } from '../../api/index.js';
import type { ListRange, ListResult, Store, StoreEvent, StoredValue } from '../store/index.js';
import { decryptValue, encryptValue, envelopeKeyName, isEnvelope } from './envelope.js';
import type { Keyring } from './keyring.js';

/** Options of {@link EncryptingStore}. */
export interface EncryptingStoreOptions {
  /** Key prefixes whose values are encrypted, e.g. `['/registry/secrets/']`. */
  prefixes: readonly string[];
  logger: Logger;
}

/** What a re-encryption did: values rewritten with the primary key, and values already under it. */
export interface ReencryptResult {
  rewritten: number;
  unchanged: number;
}

/** A `Store` whose values under `prefixes` are encrypted at rest with `keyring`. */
export class EncryptingStore implements Store {
  constructor(
    private readonly inner: Store,
    private keyring: Keyring,
    private readonly opts: EncryptingStoreOptions,
  ) {}

  /** The keyring values are encrypted and decrypted with now. */
  get currentKeyring(): Keyring {
    return this.keyring;
  }

  /** Encrypts and decrypts with `keyring` from now on (a reloaded keyring file, see KeyringReloader). */
  useKeyring(keyring: Keyring): void {
    this.keyring = keyring;
  }

  private covers(key: string): boolean {
    return this.opts.prefixes.some((p) => key.startsWith(p));
  }

  private seal(key: string, value: unknown): unknown {
    return this.covers(key) ? encryptValue(this.keyring, key, value) : value;
  }

  private unseal(key: string, value: unknown): unknown {
    return this.covers(key) && isEnvelope(value) ? decryptValue(this.keyring, key, value) : value;
  }

  private unsealStored(s: StoredValue): StoredValue {
    return this.covers(s.key) ? { ...s, value: this.unseal(s.key, s.value) } : s;
  }

  revision(): Promise<number> {
    return this.inner.revision();
  }

  async get(key: string): Promise<StoredValue | undefined> {
    const s = await this.inner.get(key);
    return s && this.unsealStored(s);
  }

  async list(prefix: string, range?: ListRange): Promise<ListResult> {
    const r = await this.inner.list(prefix, range);
    return { ...r, items: r.items.map((s) => this.unsealStored(s)) };
  }

  create(key: string, value: unknown): Promise<number> {
    return this.inner.create(key, this.seal(key, value));
  }

  update(key: string, value: unknown, expectedRevision: number): Promise<number> {
    return this.inner.update(key, this.seal(key, value), expectedRevision);
  }

  delete(key: string, expectedRevision?: number): Promise<number> {
    return this.inner.delete(key, expectedRevision);
  }

  watch(
    prefix: string,
    fromRevision: number,
    onEvent: (e: StoreEvent) => void,
    onError?: (err: Error) => void,
  ): Promise<() => void> {
    return this.inner.watch(
      prefix,
      fromRevision,
      (e) => {
        if (!this.covers(e.key)) return onEvent(e);
        let out: StoreEvent;
        try {
          out = { ...e, value: this.unseal(e.key, e.value) };
          if (e.prevValue !== undefined) out.prevValue = this.unseal(e.key, e.prevValue);
        } catch (err) {
          // Only a key removed from the keyring (or a damaged row) gets here; the message holds no value.
          this.opts.logger.error(
            { key: e.key, revision: e.revision, err: errorMessage(err) },
            'dropping a watch event',
          );
          return;
        }
        onEvent(out);
      },
      onError,
    );
  }

  compactedRevision(): Promise<number> {
    return this.inner.compactedRevision();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /**
   * Rewrites every value under the encrypted prefixes that is not yet encrypted with the primary key
   * (a stored plaintext, or an older key's envelope). Safe to run again after an interruption; a
   * value written concurrently is read again and retried.
   */
  async reencrypt(): Promise<ReencryptResult> {
    const result: ReencryptResult = { rewritten: 0, unchanged: 0 };
    for (const prefix of this.opts.prefixes) {
      const { items } = await this.inner.list(prefix);
      for (const item of items) {
        let cur: StoredValue | undefined = item;
        for (;;) {
          if (cur === undefined) break;
          if (isEnvelope(cur.value) && envelopeKeyName(cur.value) === this.keyring.primary.name) {
            result.unchanged++;
            break;
          }
          try {
            await this.inner.update(cur.key, this.seal(cur.key, this.unseal(cur.key, cur.value)), cur.modRevision);
            result.rewritten++;
            break;
          } catch (err) {
            if (!(err instanceof ConflictError)) throw err;
            cur = await this.inner.get(cur.key);
          }
        }
      }
    }
    return result;
  }
}
