/**
 * Core-level imports of `wasi:http/types` for `fields` and the shared variants (`method`, `scheme`)
 * (worker side). Layouts follow the canonical ABI; see http-types.ts for the request/response side.
 */
import type { CoreContext, InterfaceImports } from './context.js';
import { HostTrap, type GuestMemory } from './guest-memory.js';
import { Fields, HeaderError, validFieldName, validFieldValue } from './http-resources.js';

/** `method` cases in WIT order; anything else is `other(string)` (discriminant 9). */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'] as const;
const OTHER_METHOD = 9;

/** Writes a `method` variant at `at` (12 bytes: case at +0, `other`'s string at +4). */
export function storeMethod(mem: GuestMemory, at: number, method: string): void {
  const index = (METHODS as readonly string[]).indexOf(method);
  if (index >= 0) {
    mem.u8[at] = index;
    return;
  }
  mem.storeString(at + 4, method);
  mem.u8[at] = OTHER_METHOD;
}

/** Reads a `method` passed flat (case, ptr, len). */
export function liftMethod(mem: GuestMemory, disc: number, ptr: number, len: number): string {
  if (disc === OTHER_METHOD) return mem.readString(ptr, len);
  const m = METHODS[disc];
  if (m === undefined) throw new HostTrap(`invalid method case ${disc}`);
  return m;
}

/** Writes an `option<scheme>` at `at` (case at +0; scheme case at +4, `other`'s string at +8). */
export function storeOptionScheme(mem: GuestMemory, at: number, scheme: string | undefined): void {
  if (scheme === undefined) {
    mem.u8[at] = 0;
    return;
  }
  const lower = scheme.toLowerCase();
  if (lower === 'http' || lower === 'https') mem.u8[at + 4] = lower === 'http' ? 0 : 1;
  else {
    mem.storeString(at + 8, scheme);
    mem.u8[at + 4] = 2;
  }
  mem.u8[at] = 1;
}

/** Reads a `scheme` passed flat (case, ptr, len). */
export function liftScheme(mem: GuestMemory, disc: number, ptr: number, len: number): string {
  return disc === 0 ? 'http' : disc === 1 ? 'https' : mem.readString(ptr, len);
}

/** `result<_, header-error>` (payload at +1: header-error has alignment 1). */
function storeUnitResult(mem: GuestMemory, ret: number, error: number | undefined): void {
  if (error === undefined) {
    mem.u8[ret] = 0;
    return;
  }
  mem.u8[ret] = 1;
  mem.u8[ret + 1] = error;
}

/** Lowers a list of byte lists (`list<field-value>`) and writes its `(ptr, len)` at `ret`. */
function storeValueList(mem: GuestMemory, ret: number, values: Uint8Array[]): void {
  const list = mem.alloc(4, values.length * 8);
  for (let i = 0; i < values.length; i++) mem.storeBytes(list + i * 8, values[i]!);
  mem.dv.setUint32(ret, list, true);
  mem.dv.setUint32(ret + 4, values.length, true);
}

/** Checks a name/value pair; the header-error case when refused. */
function checkField(name: string, value: Uint8Array | undefined): number | undefined {
  if (!validFieldName(name)) return HeaderError.invalidSyntax;
  if (value && !validFieldValue(value)) return HeaderError.invalidSyntax;
  return undefined;
}

function mutable({ state }: CoreContext, self: number): Fields | number {
  const f = state.table.get(self, Fields);
  return f.immutable ? HeaderError.immutable : f;
}

/** The `fields` functions of `wasi:http/types`. */
export const fieldsImports: InterfaceImports = {
  '[constructor]fields':
    ({ state }) =>
    (): number =>
      state.table.add(new Fields()),
  '[static]fields.from-list':
    ({ mem, state }) =>
    (ptr: number, len: number, ret: number): void => {
      const fields = new Fields();
      for (let i = 0; i < len; i++) {
        const at = ptr + i * 16;
        const [np, nl] = mem.ptrLen(at);
        const [vp, vl] = mem.ptrLen(at + 8);
        const name = mem.readString(np, nl);
        const value = mem.readBytes(vp, vl);
        const refused = checkField(name, value);
        if (refused !== undefined) {
          mem.u8[ret] = 1;
          mem.u8[ret + 4] = refused;
          return;
        }
        fields.append(name, value);
      }
      mem.dv.setUint32(ret + 4, state.table.add(fields), true);
      mem.u8[ret] = 0;
    },
  '[method]fields.get':
    ({ mem, state }) =>
    (self: number, np: number, nl: number, ret: number): void => {
      storeValueList(mem, ret, state.table.get(self, Fields).get(mem.readString(np, nl)));
    },
  '[method]fields.has':
    ({ mem, state }) =>
    (self: number, np: number, nl: number): number =>
      state.table.get(self, Fields).get(mem.readString(np, nl)).length > 0 ? 1 : 0,
  '[method]fields.set':
    (ctx) =>
    (self: number, np: number, nl: number, lp: number, ll: number, ret: number): void => {
      const { mem } = ctx;
      const f = mutable(ctx, self);
      if (typeof f === 'number') return storeUnitResult(mem, ret, f);
      const name = mem.readString(np, nl);
      const values: Uint8Array[] = [];
      for (let i = 0; i < ll; i++) {
        const [vp, vl] = mem.ptrLen(lp + i * 8);
        values.push(mem.readBytes(vp, vl));
      }
      const refused =
        checkField(name, undefined) ?? values.map((v) => checkField(name, v)).find((r) => r !== undefined);
      if (refused !== undefined) return storeUnitResult(mem, ret, refused);
      f.delete(name);
      for (const v of values) f.append(name, v);
      storeUnitResult(mem, ret, undefined);
    },
  '[method]fields.delete':
    (ctx) =>
    (self: number, np: number, nl: number, ret: number): void => {
      const f = mutable(ctx, self);
      if (typeof f === 'number') return storeUnitResult(ctx.mem, ret, f);
      const name = ctx.mem.readString(np, nl);
      const refused = checkField(name, undefined);
      if (refused === undefined) f.delete(name);
      storeUnitResult(ctx.mem, ret, refused);
    },
  '[method]fields.append':
    (ctx) =>
    (self: number, np: number, nl: number, vp: number, vl: number, ret: number): void => {
      const f = mutable(ctx, self);
      if (typeof f === 'number') return storeUnitResult(ctx.mem, ret, f);
      const name = ctx.mem.readString(np, nl);
      const value = ctx.mem.readBytes(vp, vl);
      const refused = checkField(name, value);
      if (refused === undefined) f.append(name, value);
      storeUnitResult(ctx.mem, ret, refused);
    },
  '[method]fields.entries':
    ({ mem, state }) =>
    (self: number, ret: number): void => {
      const f = state.table.get(self, Fields);
      const n = f.names.length;
      const list = mem.alloc(4, n * 16);
      for (let i = 0; i < n; i++) {
        mem.storeString(list + i * 16, f.names[i]!);
        mem.storeBytes(list + i * 16 + 8, f.values[i]!);
      }
      mem.dv.setUint32(ret, list, true);
      mem.dv.setUint32(ret + 4, n, true);
    },
  '[method]fields.clone':
    ({ state }) =>
    (self: number): number =>
      state.table.add(state.table.get(self, Fields).clone()),
  '[resource-drop]fields':
    ({ state }) =>
    (h: number): void =>
      state.table.drop(h, Fields),
};
