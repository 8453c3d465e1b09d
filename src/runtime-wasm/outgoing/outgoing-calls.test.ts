/**
 * OutgoingCalls remembers when a request's calls were answered, so a deadline that falls just after
 * a callee's answer gives the guest time to handle it instead of counting an overrun
 * (container-deadline.ts). Real channel and dispatch; the handler is the test's.
 */
import { afterEach, expect, it } from 'vitest';
import type { WorkloadResponse } from '../../api/index.js';
import { OutgoingCalls } from './outgoing-calls.js';
import { OutgoingDispatch } from './outgoing-dispatch.js';
import type { OutgoingCall } from './outgoing-protocol.js';

const opened: OutgoingCalls[] = [];
afterEach(() => opened.splice(0).forEach((c) => c.close()));

const call = (id: number, reqId: number): OutgoingCall => ({
  id,
  instanceId: 1,
  reqId,
  caller: { namespace: 'default', name: 'front', uid: 'uid-front', container: 'app' },
  method: 'GET',
  scheme: 'http',
  authority: 'echo',
  path: '/',
  headers: [],
  body: null,
  timeoutMs: 5000,
});

it('tells whether a request’s call was answered within a given time, and of no other request', async () => {
  let answer: (res: WorkloadResponse) => void = () => undefined;
  const dispatch = new OutgoingDispatch(() => new Promise<WorkloadResponse>((r) => (answer = r)), 5000);
  const calls = new OutgoingCalls(dispatch, () => undefined);
  opened.push(calls);
  calls.start(call(1, 7), 1);
  expect(calls.has({ reqId: 7 })).toBe(true);
  expect(calls.answeredWithin(7, 2000)).toBe(false); // pending, not answered
  answer({ status: 200, headers: [], body: new Uint8Array() });
  await new Promise((r) => setImmediate(r));
  expect(calls.has({ reqId: 7 })).toBe(false);
  const now = Date.now();
  expect(calls.answeredWithin(7, 2000, now)).toBe(true);
  expect(calls.answeredWithin(7, 2000, now + 2500)).toBe(false);
  expect(calls.answeredWithin(8, 2000, now)).toBe(false);
  // A failed call (the caller's deadline) counts as answered too: the guest sees the error and may answer.
  calls.start(call(2, 9), 1);
  calls.fail({ reqId: 9 }, { tag: 'connection-timeout' });
  expect(calls.answeredWithin(9, 2000)).toBe(true);
});
