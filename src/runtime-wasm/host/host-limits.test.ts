/**
 * Per-instance bounds of the host's own memory: bytes of bodies buffered for an instance (HostBytes,
 * through the real OutgoingBody and its output stream) and live resource handles (ResourceTable).
 * http-host.test.ts shows, with a real guest, that sent bodies give their bytes back.
 */
import { describe, expect, it } from 'vitest';
import { HostTrap } from './guest-memory.js';
import { HostBytes } from './host-bytes.js';
import { Fields, OutgoingBody, OutgoingRequest } from './http-resources.js';
import { ResourceTable } from './resource-table.js';

const chunk = (n: number): Uint8Array => new Uint8Array(n).fill(7);

describe('host bytes budget', () => {
  it('fails a body write past the instance budget with a stream error, and gives sent or dropped bytes back', () => {
    const budget = new HostBytes(1000);
    const a = new OutgoingBody(budget);
    const b = new OutgoingBody(budget);
    const sa = a.write();
    const sb = b.write();
    expect(sa.sink(chunk(600))).toBeUndefined();
    expect(sb.sink(chunk(300))).toBeUndefined();
    // Each body is far below its own cap; together they pass the instance's budget.
    expect(sb.sink(chunk(200))).toBe("the instance's buffered bodies would pass its host memory budget of 1000 bytes");
    expect(b.size).toBe(300);
    expect(budget.used).toBe(900);
    a.finish();
    expect(a.bytes()).toHaveLength(600); // taken to be sent
    expect(budget.used).toBe(300);
    expect(sb.sink(chunk(200))).toBeUndefined();
    b.dispose(); // dropped unfinished
    expect(budget.used).toBe(0);
    expect(a.write().sink(chunk(1))).toBe('the body is already finished');
  });

  it('gives back the finished body of a request the guest dropped without sending', () => {
    const budget = new HostBytes(1000);
    const req = new OutgoingRequest(new Fields([], []));
    req.body = new OutgoingBody(budget);
    expect(req.body.write().sink(chunk(700))).toBeUndefined();
    req.body.finish();
    req.body.dispose();
    expect(budget.used).toBe(700);
    req.dispose();
    expect(budget.used).toBe(0);
    req.dispose(); // once only
    expect(budget.used).toBe(0);
  });
});

describe('resource table', () => {
  it('traps past its cap on live handles, and handles dropped make room again', () => {
    const table = new ResourceTable(3);
    const handles = [table.add({}), table.add({}), table.add({})];
    expect(() => table.add({})).toThrow(HostTrap);
    expect(() => table.add({})).toThrow('too many live resource handles (the limit is 3)');
    table.take(handles[1]!, Object);
    expect(table.add({})).toBe(handles[1]);
    expect(table.size).toBe(3);
  });
});
