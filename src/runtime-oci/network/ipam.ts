/** Pod addresses from the node's range (an IPv4 CIDR): `.1` is the bridge's, the rest go to pods. */

/** A parsed IPv4 range. */
export interface Ipv4Range {
  network: number;
  prefix: number;
}

/** Parses `a.b.c.d/n` (n from 8 to 30); throws an Error naming the problem. */
export function parseCidr(cidr: string): Ipv4Range {
  const m = /^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\/([0-9]{1,2})$/.exec(cidr);
  if (!m) throw new Error(`"${cidr}" is not an IPv4 CIDR (e.g. 10.88.0.0/24)`);
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) throw new Error(`"${cidr}" has an octet above 255`);
  const prefix = Number(m[5]);
  if (prefix < 8 || prefix > 30) throw new Error(`"${cidr}": the prefix must be 8..30`);
  const addr = octets.reduce((a, o) => a * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  return { network: addr - (addr % size), prefix };
}

/** Dotted form of a 32-bit address. */
export function formatIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** Hands out addresses of one range, lowest free first. */
export class Ipam {
  readonly #used = new Map<string, number>();
  readonly #taken = new Set<number>();
  readonly #size: number;

  constructor(readonly range: Ipv4Range) {
    this.#size = 2 ** (32 - range.prefix);
  }

  /** The bridge's (gateway's) address. */
  get gateway(): string {
    return formatIp(this.range.network + 1);
  }

  /** Allocates an address for `key` (the same one again while it holds it). */
  allocate(key: string): string {
    const held = this.#used.get(key);
    if (held !== undefined) return formatIp(held);
    for (let i = 2; i < this.#size - 1; i++) {
      const addr = this.range.network + i;
      if (this.#taken.has(addr)) continue;
      this.#taken.add(addr);
      this.#used.set(key, addr);
      return formatIp(addr);
    }
    throw new Error(`no free address left in ${formatIp(this.range.network)}/${this.range.prefix}`);
  }

  /** Marks `ip` as `key`'s (an address an earlier run gave it); throws when it is outside the range or taken. */
  reserve(key: string, ip: string): void {
    const m = /^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$/.exec(ip);
    if (!m) throw new Error(`"${ip}" is not an IPv4 address`);
    const addr = m
      .slice(1, 5)
      .map(Number)
      .reduce((a, o) => a * 256 + o, 0);
    const i = addr - this.range.network;
    if (i < 2 || i >= this.#size - 1) throw new Error(`${ip} is not a pod address of this range`);
    const held = this.#used.get(key);
    if (held === addr) return;
    if (held !== undefined || this.#taken.has(addr)) throw new Error(`${ip} or pod ${key} has another address already`);
    this.#taken.add(addr);
    this.#used.set(key, addr);
  }

  release(key: string): void {
    const addr = this.#used.get(key);
    if (addr === undefined) return;
    this.#used.delete(key);
    this.#taken.delete(addr);
  }
}
