/**
 * One core instance's linear memory and allocator, as the canonical ABI needs them to lift arguments
 * from the guest and lower results into it (worker side).
 *
 * The views are refreshed lazily: a guest may grow its memory between two host calls (which detaches
 * the old `ArrayBuffer`), and `realloc` may grow it in the middle of one, so every accessor checks.
 */
import type { WasmMemory } from '../wasm-global.js';

/** `cabi_realloc(old_ptr, old_size, align, new_size) -> ptr`, exported by the guest. */
export type Realloc = (ptr: number, oldSize: number, align: number, newSize: number) => number;

const utf8 = new TextDecoder();
const utf8Encoder = new TextEncoder();

/** The guest broke the canonical ABI (bad pointer, bad handle, ...): its instance must end. */
export class HostTrap extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostTrap';
  }
}

/** Lifting and lowering helpers over one core instance's memory and realloc. */
export class GuestMemory {
  /** Bound right after the core instance is created (imports are not called before that). */
  memory: WasmMemory | undefined;
  realloc: Realloc | undefined;
  #buffer: ArrayBuffer | undefined;
  #dv = new DataView(new ArrayBuffer(0));
  #u8 = new Uint8Array(0);

  /** A DataView over the current buffer. */
  get dv(): DataView {
    this.#refresh();
    return this.#dv;
  }

  /** A byte view over the current buffer. */
  get u8(): Uint8Array {
    this.#refresh();
    return this.#u8;
  }

  #refresh(): void {
    const memory = this.memory;
    if (!memory) throw new HostTrap('guest memory used before the instance was bound');
    const buffer = memory.buffer;
    if (buffer !== this.#buffer) {
      this.#buffer = buffer;
      this.#dv = new DataView(buffer);
      this.#u8 = new Uint8Array(buffer);
    }
  }

  /** Allocates `size` bytes in the guest (the canonical ABI calls realloc even for 0). */
  alloc(align: number, size: number): number {
    const realloc = this.realloc;
    if (!realloc) throw new HostTrap('the guest exports no cabi_realloc but an import returns a list or string');
    const ptr = realloc(0, 0, align, size);
    if (ptr % align !== 0 || ptr + size > this.u8.byteLength)
      throw new HostTrap(`realloc returned an invalid pointer ${ptr}`);
    return ptr;
  }

  /** Reads a UTF-8 string (lifting). */
  readString(ptr: number, len: number): string {
    const u8 = this.u8;
    if (ptr + len > u8.byteLength) throw new HostTrap('string out of bounds');
    // Short ASCII strings (header names, env keys) are cheaper to build by hand than to decode.
    if (len <= 32) {
      let s = '';
      for (let i = ptr; i < ptr + len; i++) {
        const c = u8[i]!;
        if (c >= 0x80) return utf8.decode(u8.subarray(ptr, ptr + len));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return utf8.decode(u8.subarray(ptr, ptr + len));
  }

  /** Copies `len` bytes out of the guest (lifting a `list<u8>`). */
  readBytes(ptr: number, len: number): Uint8Array {
    const u8 = this.u8;
    if (ptr + len > u8.byteLength) throw new HostTrap('list out of bounds');
    return u8.slice(ptr, ptr + len);
  }

  /** Allocates and writes a string (UTF-8); returns `[ptr, len]`. */
  writeString(s: string): [number, number] {
    let ascii = true;
    for (let i = 0; i < s.length; i++) {
      if (s.charCodeAt(i) >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      const ptr = this.alloc(1, s.length);
      const u8 = this.u8;
      for (let i = 0; i < s.length; i++) u8[ptr + i] = s.charCodeAt(i);
      return [ptr, s.length];
    }
    const bytes = utf8Encoder.encode(s);
    return this.writeBytes(bytes);
  }

  /** Allocates and writes bytes; returns `[ptr, len]`. */
  writeBytes(bytes: Uint8Array): [number, number] {
    const ptr = this.alloc(1, bytes.byteLength);
    this.u8.set(bytes, ptr);
    return [ptr, bytes.byteLength];
  }

  /** Writes `(ptr, len)` of a string at `at` (the flat layout of a `string` in memory). */
  storeString(at: number, s: string): void {
    const [ptr, len] = this.writeString(s);
    const dv = this.dv;
    dv.setUint32(at, ptr, true);
    dv.setUint32(at + 4, len, true);
  }

  /** Writes `(ptr, len)` of a byte list at `at`. */
  storeBytes(at: number, bytes: Uint8Array): void {
    const [ptr, len] = this.writeBytes(bytes);
    const dv = this.dv;
    dv.setUint32(at, ptr, true);
    dv.setUint32(at + 4, len, true);
  }

  /** Writes an `option<string>` at `at` (discriminant at +0, string at +4). */
  storeOptionString(at: number, s: string | undefined): void {
    if (s === undefined) {
      this.u8[at] = 0;
      return;
    }
    this.storeString(at + 4, s);
    this.u8[at] = 1;
  }

  /** Reads a `(ptr, len)` pair stored at `at`. */
  ptrLen(at: number): [number, number] {
    const dv = this.dv;
    return [dv.getUint32(at, true), dv.getUint32(at + 4, true)];
  }
}

/** Header values are bytes; Node carries them as latin1 strings. */
export function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** The inverse of {@link latin1Bytes}. */
export function latin1String(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}
