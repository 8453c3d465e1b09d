/**
 * Entry point of an executor worker thread: holds guest instances (of many pods) and runs guest code,
 * never on the agent's main thread. Speaks the messages of executor-protocol.ts over `parentPort`.
 *
 * Requests arrive in batches and are served one after another, synchronously; results go back in
 * batches too (flushed at the end of a batch, or earlier when a batch runs long). Before each guest
 * call the worker writes what it is about to run into the shared activity array, so the main thread
 * can tell which request overran when a deadline fires.
 */
import { readlinkSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { GuestInstance, InstanceEndedError, type TranspiledModule } from './guest-instance.js';
import { denyAllOutgoingHttp } from '../host/outgoing.js';
import { OutgoingClient } from '../host/outgoing-client.js';
import { loadWasiShim } from './wasi-shim.js';
import { CapturedOutput } from './captured-output.js';
import { GuestClock } from './guest-clock.js';
import { StdioPort } from '../stdio/index.js';
import { Activity, ActivitySlot, packResult, unpackRequests } from '../executors/executor-protocol.js';
import type {
  ComponentRef,
  FromWorker,
  InstanceSpec,
  OutputChunk,
  Packed,
  ToWorker,
  WireRequest,
  WireResult,
} from '../executors/executor-protocol.js';
import type { OutgoingChannel } from '../outgoing/outgoing-protocol.js';
import type { CoreModule } from '../wasm-global.js';

const port = parentPort;
if (!port) throw new Error('executor-worker must run in a worker thread');
const data = workerData as { activity: SharedArrayBuffer; outgoing: OutgoingChannel };
const activity = new BigInt64Array(data.activity);
try {
  // Linux: this thread's id, so the main thread can lower its priority while it hogs a core.
  Atomics.store(activity, ActivitySlot.tid, BigInt(readlinkSync('/proc/thread-self').split('/').pop() ?? '0'));
} catch {
  // no /proc/thread-self: priorities stay as they are
}

/** Results waiting longer than this while a batch runs are sent early. */
const FLUSH_AFTER_MS = 2;

const instances = new Map<number, GuestInstance>();
const components = new Map<
  string,
  { ref: ComponentRef; modules: Record<string, CoreModule>; mod?: Promise<TranspiledModule> }
>();
/** Captured output of exec instances, by instance: the first EXEC_OUTPUT_CAP_BYTES of each stream. */
const captured = new Map<number, CapturedOutput>();
let pendingOutput: OutputChunk[] = [];
/** Results of the batch being served, not yet sent. */
let results: Packed = [];
/** While a command runs the worker is blocked: its output is posted as it comes. */
let streamingOutput = false;
/** Guest execution time per instance, sent with results (see guest-clock.ts). */
const clock = new GuestClock();
const memoryOf = (instanceId: number): number => instances.get(instanceId)?.memoryBytes ?? 0;
/** The request being served (0 when none) and its deadline: outgoing calls are bounded by it. */
const current: { reqId: number; deadlineAt: number | undefined } = { reqId: 0, deadlineAt: undefined };

function serving(reqId: number, deadlineAt: number | undefined): void {
  current.reqId = reqId;
  current.deadlineAt = deadlineAt;
}

function send(msg: FromWorker, transfer?: ArrayBuffer[]): void {
  if (transfer && transfer.length > 0) port!.postMessage(msg, transfer);
  else port!.postMessage(msg);
}

/** Sends the results and output gathered so far. */
function flush(): void {
  if (results.length === 0 && pendingOutput.length === 0) return;
  const usage = clock.take(memoryOf);
  send({ type: 'results', batch: results, output: pendingOutput, ...(usage ? { usage } : {}) });
  results = [];
  pendingOutput = [];
}

const outgoing = new OutgoingClient(data.outgoing, {
  post(call, transfer) {
    // The guest is about to wait, maybe long: what it finished before must not wait with it.
    flush();
    send({ type: 'outgoing', call }, transfer);
  },
  cancel: (id) => send({ type: 'outgoing-cancel', id }),
  current: () => ({ ...current }),
  onWait: guestWaits,
});

/** The guest waits (an outgoing call's answer, an exec's stdin or output credit): not busy meanwhile. */
function guestWaits(waiting: boolean): void {
  if (waiting) {
    clock.pause();
    Atomics.store(activity, ActivitySlot.waiting, 1n);
  } else {
    clock.resume();
    // Busy again from now on: `since` first, so the main thread never sees an old `since`.
    Atomics.store(activity, ActivitySlot.since, BigInt(Date.now()));
    Atomics.store(activity, ActivitySlot.waiting, 0n);
  }
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function setActivity(kind: number, id: number): void {
  Atomics.store(activity, ActivitySlot.id, BigInt(id));
  Atomics.store(activity, ActivitySlot.since, BigInt(Date.now()));
  Atomics.store(activity, ActivitySlot.kind, BigInt(kind));
}

function outputOf(instanceId: number, capture: boolean, stdio: StdioPort | undefined) {
  // A streaming exec: each piece is posted at once, once the main thread has room for it (blocking here).
  if (stdio)
    return (stream: 'stdout' | 'stderr', data: Uint8Array): void =>
      stdio.write(stream, data, (piece) => send({ type: 'output', chunks: [{ instanceId, stream, data: piece }] }));
  const box = capture ? new CapturedOutput() : undefined;
  if (box) captured.set(instanceId, box);
  return (stream: 'stdout' | 'stderr', data: Uint8Array): void => {
    if (box) {
      box.add(stream, data);
      return;
    }
    const chunk = { instanceId, stream, data };
    if (streamingOutput) send({ type: 'output', chunks: [chunk] });
    else pendingOutput.push(chunk);
  };
}

async function instantiate(spec: InstanceSpec): Promise<void> {
  const { instanceId } = spec;
  const entry = components.get(spec.component.key);
  try {
    if (!entry) throw new Error(`component ${spec.component.key} was not sent to this executor`);
    entry.mod ??= import(entry.ref.jsUrl) as Promise<TranspiledModule>;
    const [mod, shim] = await Promise.all([entry.mod, loadWasiShim()]);
    // From here on only microtasks: no other message interleaves, so the activity is accurate.
    setActivity(Activity.instantiate, instanceId);
    clock.start(instanceId);
    const policy = spec.caller ? outgoing.policyFor(instanceId, spec.caller) : denyAllOutgoingHttp;
    const stdio = spec.stdio ? new StdioPort(spec.stdio, guestWaits) : undefined;
    const instance = await GuestInstance.create(
      spec,
      mod,
      entry.modules,
      shim,
      outputOf(instanceId, spec.captureOutput === true, stdio),
      policy,
      stdio,
    );
    instances.set(instanceId, instance);
    clock.stop();
    const usage = clock.take(memoryOf);
    send({ type: 'instantiated', instanceId, exports: instance.exports, ...(usage ? { usage } : {}) });
  } catch (err) {
    captured.delete(instanceId);
    send({ type: 'instantiate-failed', instanceId, message: messageOf(err) });
  } finally {
    clock.stop();
    setActivity(Activity.idle, 0);
  }
}

function serve(req: WireRequest): Exclude<WireResult, { lost: string }> {
  const instance = instances.get(req.instanceId);
  if (!instance) return { id: req.id, failed: `no instance ${req.instanceId} in this executor` };
  if (Date.now() > req.deadlineAt) return { id: req.id, expired: true };
  // Announce first, then check the watermark; the main thread sets the watermark first, then reads
  // `started` (Dekker-style, sequentially consistent): a request is either seen started there or
  // skipped here, never both run here and retried elsewhere.
  setActivity(Activity.request, req.id);
  Atomics.store(activity, ActivitySlot.started, BigInt(req.id));
  if (BigInt(req.id) <= Atomics.load(activity, ActivitySlot.withdrawnUpTo)) {
    setActivity(Activity.idle, 0);
    return { id: req.id, withdrawn: true };
  }
  serving(req.id, req.deadlineAt);
  clock.start(req.instanceId);
  try {
    const res = instance.handle(req);
    return { id: req.id, status: res.status, headers: res.headers, body: res.body };
  } catch (err) {
    if (err instanceof InstanceEndedError) {
      instances.delete(req.instanceId);
      return { id: req.id, failed: err.message, end: err.end };
    }
    return { id: req.id, failed: messageOf(err) };
  } finally {
    clock.stop();
    serving(0, undefined);
    setActivity(Activity.idle, 0);
  }
}

function serveBatch(batch: WireRequest[]): void {
  let since = performance.now();
  for (const req of batch) {
    // Serve first, then pack: serving may flush (an outgoing call), which replaces `results`.
    const result = serve(req);
    packResult(results, result);
    if (performance.now() - since > FLUSH_AFTER_MS) {
      flush();
      since = performance.now();
    }
  }
  flush();
}

function run(instanceId: number, deadlineAt: number | undefined): void {
  const instance = instances.get(instanceId);
  instances.delete(instanceId);
  const out = captured.get(instanceId); // filled while the command runs
  captured.delete(instanceId);
  if (!instance) {
    send({
      type: 'run-finished',
      instanceId,
      end: { kind: 'trap', message: `no instance ${instanceId} in this executor` },
    });
    return;
  }
  if (deadlineAt !== undefined && Date.now() > deadlineAt) {
    send({ type: 'run-finished', instanceId, end: { kind: 'exit', code: 137 }, expired: true });
    return;
  }
  setActivity(Activity.run, instanceId);
  clock.start(instanceId);
  streamingOutput = true;
  serving(0, deadlineAt);
  let end;
  try {
    end = instance.run();
  } finally {
    clock.stop();
    serving(0, undefined);
    streamingOutput = false;
    setActivity(Activity.idle, 0);
  }
  // Its memory is gone with it (the worker forgot it above): the time is what counts.
  const usage = clock.take(() => 0);
  send({ type: 'run-finished', instanceId, end, ...(out ? out.take() : {}), ...(usage ? { usage } : {}) });
}

port.on('message', (msg: ToWorker) => {
  switch (msg.type) {
    case 'component':
      if (!components.has(msg.component.key))
        components.set(msg.component.key, { ref: msg.component, modules: msg.modules });
      return;
    case 'instantiate':
      void instantiate(msg.spec);
      return;
    case 'requests':
      serveBatch(unpackRequests(msg.batch));
      return;
    case 'run':
      run(msg.instanceId, msg.deadlineAt);
      return;
    case 'drop':
      instances.delete(msg.instanceId);
      captured.delete(msg.instanceId);
      return;
  }
});
