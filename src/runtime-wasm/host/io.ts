/**
 * `wasi:io/error`, `wasi:io/poll` and `wasi:io/streams` for one instance: the import functions a
 * guest calls, over the resources of io-resources.ts.
 */
import type { CoreContext, InterfaceImports } from './context.js';
import { FsError, FsIoError } from './fs-errors.js';
import { InputStream, IoError, OutputStream, Pollable, sleepUntil, type Waiter } from './io-resources.js';

/** How much a guest may write per `write` call (it must ask `check-write` first). */
const WRITE_BUDGET = 1n << 20n;

type StreamError = { closed: true } | { error: string | IoError };

/** `wasi:io/error`. */
export const ioErrorImports: InterfaceImports = {
  '[method]error.to-debug-string':
    ({ mem, state }) =>
    (self: number, ret: number): void => {
      mem.storeString(ret, state.table.get(self, IoError).message);
    },
  '[resource-drop]error':
    ({ state }) =>
    (h: number): void =>
      state.table.drop(h, IoError),
};

/** `wasi:io/poll`. */
export const pollImports: InterfaceImports = {
  '[method]pollable.ready':
    ({ state }) =>
    (self: number): number =>
      state.table.get(self, Pollable).ready() ? 1 : 0,
  '[method]pollable.block':
    ({ state }) =>
    (self: number): void =>
      state.table.get(self, Pollable).block(),
  '[resource-drop]pollable':
    ({ state }) =>
    (h: number): void =>
      state.table.drop(h, Pollable),
  poll:
    ({ mem, state }) =>
    (ptr: number, len: number, ret: number): void => {
      const pollables: Pollable[] = [];
      for (let i = 0; i < len; i++) pollables.push(state.table.get(mem.dv.getUint32(ptr + i * 4, true), Pollable));
      let ready = readyIndexes(pollables);
      while (ready.length === 0 && pollables.length > 0) {
        // Nothing ready: clock deadlines and waitables are pending. Wait for the earliest deadline
        // or any waitable (they share the executor's one waiter), whichever comes first.
        let earliest: bigint | undefined;
        let waiter: Waiter | undefined;
        for (const p of pollables) {
          if (p.deadlineNs !== undefined && (earliest === undefined || p.deadlineNs < earliest))
            earliest = p.deadlineNs;
          waiter ??= p.source?.waiter;
        }
        if (waiter) waiter.waitUntil(earliest, () => pollables.some((p) => p.ready()));
        else if (earliest !== undefined) sleepUntil(earliest);
        ready = readyIndexes(pollables);
      }
      const out = mem.alloc(4, ready.length * 4);
      const dv = mem.dv;
      ready.forEach((index, i) => dv.setUint32(out + i * 4, index, true));
      dv.setUint32(ret, out, true);
      dv.setUint32(ret + 4, ready.length, true);
    },
};

function readyIndexes(pollables: Pollable[]): number[] {
  const out: number[] = [];
  pollables.forEach((p, i) => {
    if (p.ready()) out.push(i);
  });
  return out;
}

/** Writes a `stream-error` variant at `at` (`last-operation-failed(error)` | `closed`). */
function storeStreamError(ctx: CoreContext, at: number, err: StreamError): void {
  const { mem, state } = ctx;
  if ('closed' in err) {
    mem.u8[at] = 1;
    return;
  }
  const handle = state.table.add(err.error instanceof IoError ? err.error : new IoError(err.error));
  mem.u8[at] = 0;
  mem.dv.setUint32(at + 4, handle, true);
}

const u64 = (n: bigint): number => (n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n));

/** Reads from a stream; a file stream's failure is a stream error the guest can inspect. */
function readChunk(stream: InputStream, len: bigint, blocking = false): Uint8Array | undefined | FsIoError {
  try {
    return blocking ? stream.blockingRead(u64(len)) : stream.read(u64(len));
  } catch (err) {
    if (err instanceof FsError) return new FsIoError(err.code);
    throw err;
  }
}

function read(ctx: CoreContext, blocking = false) {
  return (self: number, len: bigint, ret: number): void => {
    const chunk = readChunk(ctx.state.table.get(self, InputStream), len, blocking);
    if (chunk instanceof IoError) {
      ctx.mem.u8[ret] = 1;
      storeStreamError(ctx, ret + 4, { error: chunk });
      return;
    }
    if (chunk === undefined) {
      ctx.mem.u8[ret] = 1;
      storeStreamError(ctx, ret + 4, { closed: true });
      return;
    }
    ctx.mem.storeBytes(ret + 4, chunk);
    ctx.mem.u8[ret] = 0;
  };
}

function skip(ctx: CoreContext, blocking = false) {
  return (self: number, len: bigint, ret: number): void => {
    const chunk = readChunk(ctx.state.table.get(self, InputStream), len, blocking);
    if (chunk instanceof IoError) {
      ctx.mem.u8[ret] = 1;
      storeStreamError(ctx, ret + 8, { error: chunk });
      return;
    }
    if (chunk === undefined) {
      ctx.mem.u8[ret] = 1;
      storeStreamError(ctx, ret + 8, { closed: true });
      return;
    }
    ctx.mem.dv.setBigUint64(ret + 8, BigInt(chunk.byteLength), true);
    ctx.mem.u8[ret] = 0;
  };
}

/** `result<_, stream-error>` of a write of `bytes` (already copied out of the guest). */
function writeResult(ctx: CoreContext, stream: OutputStream, bytes: Uint8Array, ret: number): void {
  const refused = stream.closed ? 'closed' : bytes.byteLength > 0 ? stream.sink(bytes) : undefined;
  if (refused === undefined) {
    ctx.mem.u8[ret] = 0;
    return;
  }
  ctx.mem.u8[ret] = 1;
  storeStreamError(ctx, ret + 4, refused === 'closed' ? { closed: true } : { error: refused });
}

function write(ctx: CoreContext) {
  return (self: number, ptr: number, len: number, ret: number): void => {
    const stream = ctx.state.table.get(self, OutputStream);
    writeResult(ctx, stream, ctx.mem.readBytes(ptr, len), ret);
  };
}

function writeZeroes(ctx: CoreContext) {
  return (self: number, len: bigint, ret: number): void => {
    writeResult(ctx, ctx.state.table.get(self, OutputStream), new Uint8Array(u64(len)), ret);
  };
}

function flush(ctx: CoreContext) {
  return (self: number, ret: number): void => {
    const stream = ctx.state.table.get(self, OutputStream);
    ctx.mem.u8[ret] = stream.closed ? 1 : 0;
    if (stream.closed) storeStreamError(ctx, ret + 4, { closed: true });
  };
}

function splice(ctx: CoreContext, blocking = false) {
  return (self: number, src: number, len: bigint, ret: number): void => {
    const out = ctx.state.table.get(self, OutputStream);
    const chunk = readChunk(ctx.state.table.get(src, InputStream), len, blocking);
    if (chunk instanceof IoError) {
      ctx.mem.u8[ret] = 1;
      storeStreamError(ctx, ret + 8, { error: chunk });
      return;
    }
    const refused =
      chunk === undefined || out.closed ? 'closed' : chunk.byteLength > 0 ? out.sink(chunk.slice()) : undefined;
    if (refused !== undefined) {
      ctx.mem.u8[ret] = 1;
      storeStreamError(ctx, ret + 8, refused === 'closed' ? { closed: true } : { error: refused });
      return;
    }
    ctx.mem.dv.setBigUint64(ret + 8, BigInt(chunk?.byteLength ?? 0), true);
    ctx.mem.u8[ret] = 0;
  };
}

/** `wasi:io/streams`. */
export const streamsImports: InterfaceImports = {
  '[method]input-stream.read': (ctx) => read(ctx),
  '[method]input-stream.blocking-read': (ctx) => read(ctx, true),
  '[method]input-stream.skip': (ctx) => skip(ctx),
  '[method]input-stream.blocking-skip': (ctx) => skip(ctx, true),
  '[method]input-stream.subscribe':
    ({ state }) =>
    (self: number): number =>
      state.table.add(state.table.get(self, InputStream).pollable()),
  '[method]output-stream.check-write':
    (ctx) =>
    (self: number, ret: number): void => {
      const stream = ctx.state.table.get(self, OutputStream);
      if (stream.closed) {
        ctx.mem.u8[ret] = 1;
        storeStreamError(ctx, ret + 8, { closed: true });
        return;
      }
      ctx.mem.dv.setBigUint64(ret + 8, WRITE_BUDGET, true);
      ctx.mem.u8[ret] = 0;
    },
  '[method]output-stream.write': write,
  '[method]output-stream.blocking-write-and-flush': write,
  '[method]output-stream.flush': flush,
  '[method]output-stream.blocking-flush': flush,
  '[method]output-stream.subscribe':
    ({ state }) =>
    (self: number): number => {
      state.table.get(self, OutputStream);
      return state.table.add(new Pollable());
    },
  '[method]output-stream.write-zeroes': writeZeroes,
  '[method]output-stream.blocking-write-zeroes-and-flush': writeZeroes,
  '[method]output-stream.splice': (ctx) => splice(ctx),
  '[method]output-stream.blocking-splice': (ctx) => splice(ctx, true),
  '[resource-drop]input-stream':
    ({ state }) =>
    (h: number): void =>
      state.table.drop(h, InputStream),
  '[resource-drop]output-stream':
    ({ state }) =>
    (h: number): void =>
      state.table.drop(h, OutputStream),
};
