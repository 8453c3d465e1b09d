/**
 * Core-level imports of the rest of what an instance is granted (worker side):
 * - `wasi:cli/environment`: the pod's env and args only; `wasi:cli/exit` unwinds with {@link GuestExit};
 *   stdio: stdin is a streaming exec's live input (`kubectl exec -i`, see stdin-stream.ts), or bytes
 *   given whole, else empty;
 *   stdout/stderr go to the instance's output sink (the pod log, or an exec's answer); no terminal.
 * - `wasi:clocks`: real clocks; `subscribe-*` pollables really wait (see io.ts).
 * - `wasi:random`: the platform CSPRNG.
 * - `wasi:sockets`: refused (`access-denied`): the only network is outgoing HTTP through the policy.
 */
import { randomBytes } from 'node:crypto';
import type { InterfaceImports } from './context.js';
import type { GuestMemory } from './guest-memory.js';
import { InputStream, OutputStream, Pollable, SharedInputStream, monotonicNow } from './io-resources.js';
import { LiveStdinStream } from './stdin-stream.js';

/** Thrown (as a JS exception, through the guest's frames) when the guest calls `wasi:cli/exit`. */
export class GuestExit extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`guest exited with code ${code}`);
    this.name = 'GuestExit';
    this.code = code;
  }
}

/** Lowers a `list<string>` and writes its `(ptr, len)` at `ret`. */
function storeStringList(mem: GuestMemory, ret: number, items: readonly string[]): void {
  const list = mem.alloc(4, items.length * 8);
  for (let i = 0; i < items.length; i++) mem.storeString(list + i * 8, items[i]!);
  mem.dv.setUint32(ret, list, true);
  mem.dv.setUint32(ret + 4, items.length, true);
}

/** `wasi:cli/environment`. */
export const environmentImports: InterfaceImports = {
  'get-environment':
    ({ mem, state }) =>
    (ret: number): void => {
      const env = state.env;
      // Canonical order: the list first, then each string in element order (adapters rely on it).
      const list = mem.alloc(4, env.length * 16);
      for (let i = 0; i < env.length; i++) {
        const [k, v] = env[i]!;
        mem.storeString(list + i * 16, k);
        mem.storeString(list + i * 16 + 8, v);
      }
      mem.dv.setUint32(ret, list, true);
      mem.dv.setUint32(ret + 4, env.length, true);
    },
  'get-arguments':
    ({ mem, state }) =>
    (ret: number): void =>
      storeStringList(mem, ret, state.args),
  'initial-cwd':
    ({ mem }) =>
    (ret: number): void =>
      mem.storeOptionString(ret, undefined),
};

/** `wasi:cli/exit`. */
export const exitImports: InterfaceImports = {
  exit:
    () =>
    (isErr: number): never => {
      throw new GuestExit(isErr ? 1 : 0);
    },
  'exit-with-code':
    () =>
    (code: number): never => {
      throw new GuestExit(code & 0xff);
    },
};

/** `wasi:cli/std{in,out,err}` and `wasi:cli/terminal-*`, by interface. */
export const stdioImports: Readonly<Record<string, InterfaceImports>> = {
  'wasi:cli/stdin': {
    'get-stdin':
      ({ state }) =>
      (): number =>
        state.table.add(
          state.stdio
            ? new LiveStdinStream(state.stdio)
            : state.stdin
              ? new SharedInputStream(state.stdin)
              : new InputStream(),
        ),
  },
  'wasi:cli/stdout': {
    'get-stdout':
      ({ state }) =>
      (): number =>
        state.table.add(new OutputStream((b) => void state.output('stdout', b))),
  },
  'wasi:cli/stderr': {
    'get-stderr':
      ({ state }) =>
      (): number =>
        state.table.add(new OutputStream((b) => void state.output('stderr', b))),
  },
  // option<own<terminal-*>>: none, the guest has no terminal.
  'wasi:cli/terminal-stdin': {
    'get-terminal-stdin':
      ({ mem }) =>
      (ret: number): void =>
        void (mem.u8[ret] = 0),
  },
  'wasi:cli/terminal-stdout': {
    'get-terminal-stdout':
      ({ mem }) =>
      (ret: number): void =>
        void (mem.u8[ret] = 0),
  },
  'wasi:cli/terminal-stderr': {
    'get-terminal-stderr':
      ({ mem }) =>
      (ret: number): void =>
        void (mem.u8[ret] = 0),
  },
};

/** `wasi:clocks/monotonic-clock`. */
export const monotonicClockImports: InterfaceImports = {
  now: () => (): bigint => monotonicNow(),
  resolution: () => (): bigint => 1n,
  'subscribe-instant':
    ({ state }) =>
    (when: bigint): number =>
      state.table.add(new Pollable(BigInt.asUintN(64, when))),
  'subscribe-duration':
    ({ state }) =>
    (d: bigint): number =>
      state.table.add(new Pollable(monotonicNow() + BigInt.asUintN(64, d))),
};

/** `wasi:clocks/wall-clock`. */
export const wallClockImports: InterfaceImports = {
  // datetime { seconds: u64 at +0, nanoseconds: u32 at +8 }
  now:
    ({ mem }) =>
    (ret: number): void => {
      const ms = performance.timeOrigin + performance.now();
      const seconds = Math.floor(ms / 1000);
      mem.dv.setBigUint64(ret, BigInt(seconds), true);
      mem.dv.setUint32(ret + 8, Math.floor((ms - seconds * 1000) * 1e6), true);
    },
  resolution:
    ({ mem }) =>
    (ret: number): void => {
      mem.dv.setBigUint64(ret, 0n, true);
      mem.dv.setUint32(ret + 8, 1000, true);
    },
};

const MAX_RANDOM_BYTES = 1 << 24;

function randomList({ mem }: { mem: GuestMemory }) {
  return (len: bigint, ret: number): void => {
    const n = Number(len > BigInt(MAX_RANDOM_BYTES) ? BigInt(MAX_RANDOM_BYTES) : len);
    mem.storeBytes(ret, new Uint8Array(randomBytes(n)));
  };
}

const randomU64 = () => (): bigint => randomBytes(8).readBigUInt64LE(0);

/** `wasi:random/*`, by interface. */
export const randomImports: Readonly<Record<string, InterfaceImports>> = {
  'wasi:random/random': { 'get-random-bytes': randomList, 'get-random-u64': randomU64 },
  'wasi:random/insecure': { 'get-insecure-random-bytes': randomList, 'get-insecure-random-u64': randomU64 },
  'wasi:random/insecure-seed': {
    'insecure-seed':
      ({ mem }) =>
      (ret: number): void => {
        const b = randomBytes(16);
        mem.dv.setBigUint64(ret, b.readBigUInt64LE(0), true);
        mem.dv.setBigUint64(ret + 8, b.readBigUInt64LE(8), true);
      },
  },
};

/** `result<own<T>, error-code>` of wasi:sockets (an enum): always `err(access-denied)`. */
const SOCKETS_ACCESS_DENIED = 1;
const denySocket =
  ({ mem }: { mem: GuestMemory }) =>
  (...args: number[]): void => {
    const ret = args[args.length - 1]!;
    mem.u8[ret + 4] = SOCKETS_ACCESS_DENIED;
    mem.u8[ret] = 1;
  };

/** What is refused: socket creation, name lookup. */
export const sandboxImports: Readonly<Record<string, InterfaceImports>> = {
  'wasi:sockets/tcp-create-socket': { 'create-tcp-socket': denySocket },
  'wasi:sockets/udp-create-socket': { 'create-udp-socket': denySocket },
  'wasi:sockets/ip-name-lookup': { 'resolve-addresses': denySocket },
};
