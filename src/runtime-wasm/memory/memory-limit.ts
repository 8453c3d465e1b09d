/**
 * Bounds a core module's linear memories by rewriting their declared maximum before compiling: V8
 * then refuses any `memory.grow` past it (the guest sees the growth fail), which is the one limit
 * on Wasm memory that holds inside a worker (`resourceLimits` does not cover linear memory).
 *
 * Only memories the module *defines* (memory section) are rewritten; an imported memory is some
 * other module's, bounded there.
 */

const PAGE = 65536;
const MEMORY_SECTION = 5;

/** The module's initial memory is already above the limit. */
export class MemoryLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MemoryLimitError';
  }
}

interface Reader {
  bytes: Uint8Array;
  at: number;
}

function readU(r: Reader): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    const b = r.bytes[r.at++];
    if (b === undefined) throw new MemoryLimitError('truncated LEB128 in the module');
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return result;
    shift += 7n;
  }
}

function writeU(out: number[], value: bigint): void {
  let v = value;
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) b |= 0x80;
    out.push(b);
  } while (v !== 0n);
}

/** Pages allowed by `limitBytes` (at least one). */
export function limitPages(limitBytes: number): number {
  return Math.max(1, Math.floor(limitBytes / PAGE));
}

/**
 * Returns `bytes` with every defined memory's maximum set to at most `maxPages`, or `bytes` itself
 * when the module defines no memory. Throws {@link MemoryLimitError} when a memory's initial size is
 * already above the limit.
 */
export function limitModuleMemory(bytes: Uint8Array, maxPages: number): Uint8Array {
  const r: Reader = { bytes, at: 8 }; // magic + version
  while (r.at < bytes.length) {
    const sectionStart = r.at;
    const id = bytes[r.at++]!;
    const size = Number(readU(r));
    const payloadStart = r.at;
    if (id !== MEMORY_SECTION) {
      r.at = payloadStart + size;
      continue;
    }
    const payload: number[] = [];
    const count = readU(r);
    writeU(payload, count);
    for (let i = 0n; i < count; i++) {
      const flags = bytes[r.at++]!;
      if (flags > 0x07) throw new MemoryLimitError(`unsupported memory limits flags 0x${flags.toString(16)}`);
      const min = readU(r);
      const max = flags & 0x01 ? readU(r) : undefined;
      if (min > BigInt(maxPages)) {
        throw new MemoryLimitError(
          `the component's initial linear memory (${min} pages of 64 KiB) is above the memory limit (${maxPages} pages)`,
        );
      }
      const newMax = max === undefined || max > BigInt(maxPages) ? BigInt(maxPages) : max;
      payload.push(flags | 0x01);
      writeU(payload, min);
      writeU(payload, newMax);
    }
    if (r.at !== payloadStart + size) throw new MemoryLimitError('malformed memory section');
    const header: number[] = [MEMORY_SECTION];
    writeU(header, BigInt(payload.length));
    const rest = bytes.subarray(payloadStart + size);
    const out = new Uint8Array(sectionStart + header.length + payload.length + rest.length);
    out.set(bytes.subarray(0, sectionStart), 0);
    out.set(header, sectionStart);
    out.set(payload, sectionStart + header.length);
    out.set(rest, sectionStart + header.length + payload.length);
    return out;
  }
  return bytes;
}

/** The maxima of every defined memory, in pages (undefined: no maximum). For tests. */
export function definedMemoryMaxima(bytes: Uint8Array): Array<number | undefined> {
  const r: Reader = { bytes, at: 8 };
  while (r.at < bytes.length) {
    const id = bytes[r.at++]!;
    const size = Number(readU(r));
    const start = r.at;
    if (id === MEMORY_SECTION) {
      const out: Array<number | undefined> = [];
      const count = readU(r);
      for (let i = 0n; i < count; i++) {
        const flags = bytes[r.at++]!;
        readU(r);
        out.push(flags & 0x01 ? Number(readU(r)) : undefined);
      }
      return out;
    }
    r.at = start + size;
  }
  return [];
}
