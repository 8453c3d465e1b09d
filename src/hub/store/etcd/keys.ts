/** The store's keys in etcd: every key under one prefix (one cluster per prefix), as UTF-8 bytes. */

/**
 * etcd's `range_end` for every key starting with `key`: the key with its last byte below 0xff
 * incremented (trailing 0xff bytes dropped), or `\0` (every key from `key` on) when there is none.
 */
export function etcdRangeEnd(key: Buffer): Buffer {
  const end = Buffer.from(key);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/** Maps store keys to etcd keys under a prefix and back. */
export class KeySpace {
  readonly prefix: string;
  readonly #prefixBytes: Buffer;

  /** `prefix` loses a trailing slash: store keys start with one. */
  constructor(prefix: string) {
    this.prefix = prefix.replace(/\/+$/, '');
    this.#prefixBytes = Buffer.from(this.prefix);
  }

  encode(key: string): Buffer {
    const k = Buffer.from(this.prefix + key);
    // etcd refuses an empty key; the empty prefix of the empty store key reads from the first key.
    return k.length === 0 ? Buffer.from([0]) : k;
  }

  /**
   * The etcd key range start of a store prefix. The empty store prefix is every store key, all of which
   * start with `/`: `prefix` + `/`, so that `/edgeplane` does not also cover `/edgeplane-b`.
   */
  encodePrefix(prefix: string): Buffer {
    return this.encode(prefix === '' ? '/' : prefix);
  }

  decode(key: Buffer): string {
    return key.subarray(this.#prefixBytes.length).toString('utf8');
  }

  /** A key the store never writes, read to learn the revision (`prefix` + NUL). */
  probeKey(): Buffer {
    return Buffer.concat([this.#prefixBytes, Buffer.from([0])]);
  }
}
