/**
 * Messages between the agent's main thread and an executor worker. Both sides import only these
 * types; everything crossing the boundary is structured-clone friendly (no classes, no functions).
 *
 * Requests travel in batches (one message per executor per callback, each way): a message
 * costs about as much as a small request's whole guest call, so batching is what lets a worker
 * serve tens of thousands of requests per second.
 *
 * Besides messages, each worker shares a small `BigInt64Array` (its *activity*) with the main
 * thread: what it is running right now and since when, its thread id, and a *withdrawal watermark*.
 * The main thread reads the activity when a deadline fires, to tell a request that overran (running)
 * from one that merely waited (queued behind another), and when the worker has been busy for long,
 * to take back the requests still queued there (see Executor.withdrawQueued).
 */
import type { OutgoingCaller } from '../../api/index.js';
import type { OutgoingCall } from '../outgoing/outgoing-protocol.js';
import type { MountGrant } from '../host/fs-paths.js';
import type { CoreModule } from '../wasm-global.js';

/** What an instance is granted by its pod (and nothing more). */
export interface InstanceGrant {
  /** Environment variables the guest sees (`wasi:cli/environment`). */
  env: Record<string, string>;
  /** argv; argv[0] is the program name (the container name, or the exec'd command). */
  args: string[];
  /** Directories preopened at their `containerPath` (`wasi:filesystem`); absent: none. */
  mounts?: MountGrant[];
  /** `wasi:config/store` entries; absent: none. */
  config?: Record<string, string>;
  /** `wasi:cli/stdin` of an exec (`kubectl exec -i`), whole; absent: empty. */
  stdin?: Uint8Array;
}

/** A transpiled component as a worker loads it; `modules` is sent once per worker and key. */
export interface ComponentRef {
  /** Digest and memory limit: compiled modules differ per limit. */
  key: string;
  /** `file:` URL of the transpiled component's bindings. */
  jsUrl: string;
  /** The component-level export that serves HTTP (`wasi:http/incoming-handler@0.2.12`), if any. */
  httpExport?: string;
  /** The component-level export of `wasi:cli/run`, if any. */
  runExport?: string;
}

/** Everything a worker needs to instantiate one component. */
export interface InstanceSpec {
  instanceId: number;
  component: ComponentRef;
  grant: InstanceGrant;
  /** The linear-memory limit the modules were compiled with (for telling OOM from other traps). */
  memoryLimitBytes?: number;
  /** Keep stdout/stderr and return them with the run (exec) instead of streaming them. */
  captureOutput?: boolean;
  /**
   * A streaming exec's shared memory (stdio/stdio-layout.ts): live stdin, and output posted as it
   * comes within its credit. Shared, not copied, by `postMessage`.
   */
  stdio?: SharedArrayBuffer;
  /** Who the instance's outgoing HTTP calls come from; absent: every call is denied. */
  caller?: OutgoingCaller;
}

/** One HTTP request as posted to the worker. Headers are flat `[name, value, ...]` (latin1). */
export interface WireRequest {
  id: number;
  instanceId: number;
  method: string;
  path: string;
  authority: string;
  scheme: 'http' | 'https';
  headers: string[];
  body: Uint8Array | null;
  /** `Date.now()` after which the worker does not start it any more. */
  deadlineAt: number;
}

/** How an instance ended on its own: `exit(n)`, a trap, or a trap at its memory limit. */
export type InstanceEnd =
  { kind: 'exit'; code: number } | { kind: 'trap'; message: string } | { kind: 'oom'; message: string };

/** The outcome of one request. */
export type WireResult =
  | { id: number; status: number; headers: string[]; body: Uint8Array }
  /** The request failed; `end` is set when the instance is gone as a result. */
  | { id: number; failed: string; end?: InstanceEnd }
  /** Its deadline passed before the worker got to it: it never ran. */
  | { id: number; expired: true }
  /** Taken back from a stalled executor before it started: it never ran, send it elsewhere. */
  | { id: number; withdrawn: true }
  /** The executor went away; `ran` is true for the request it was running (the others never ran). */
  | { id: number; lost: string; ran: boolean };

/** What the component exports that the runtime knows how to drive. */
export interface InstanceExports {
  http: boolean;
  run: boolean;
}

/** Guest output of one instance. */
export interface OutputChunk {
  instanceId: number;
  stream: 'stdout' | 'stderr';
  data: Uint8Array;
}

/** Messages to an executor worker. */
export type ToWorker =
  | { type: 'component'; component: ComponentRef; modules: Record<string, CoreModule> }
  | { type: 'instantiate'; spec: InstanceSpec }
  /** Requests packed with {@link packRequest}. */
  | { type: 'requests'; batch: Packed }
  | { type: 'run'; instanceId: number; deadlineAt?: number }
  | { type: 'drop'; instanceId: number };

/**
 * Guest execution time and memory since the last report, as flat `[instanceId, cpuNs, memoryBytes]`
 * triples (see worker/guest-clock.ts); on `results`, `instantiated` and `run-finished`.
 */
export type UsageReport = number[];

/** Messages from an executor worker. */
export type FromWorker =
  | { type: 'instantiated'; instanceId: number; exports: InstanceExports; usage?: UsageReport }
  | { type: 'instantiate-failed'; instanceId: number; message: string }
  /** Results packed with {@link packResult}. */
  | { type: 'results'; batch: Packed; output: OutputChunk[]; usage?: UsageReport }
  /** A command's `run` finished; captured output comes with it. `expired`: never started. */
  | {
      type: 'run-finished';
      instanceId: number;
      end: InstanceEnd;
      expired?: boolean;
      stdout?: Uint8Array;
      stderr?: Uint8Array;
      /** Bytes of captured output past the cap, dropped (see captured-output.ts). */
      dropped?: { stdout: number; stderr: number };
      usage?: UsageReport;
    }
  | { type: 'output'; chunks: OutputChunk[] }
  /** A guest's outgoing HTTP request (see outgoing-protocol.ts); the worker waits for the reply. */
  | { type: 'outgoing'; call: OutgoingCall }
  /** The guest dropped the future of call `id` unanswered: its reply is no longer wanted. */
  | { type: 'outgoing-cancel'; id: number };

/** Slots of the shared activity array (a `BigInt64Array`). */
export const ActivitySlot = {
  /** What the worker is doing ({@link Activity}). */
  kind: 0,
  /** The request id (kind request) or instance id (instantiate, run). */
  id: 1,
  /** `Date.now()` when it started. */
  since: 2,
  /** Requests with an id up to this one must not be started (they were withdrawn). */
  withdrawnUpTo: 3,
  /** The worker's thread id (for renicing it). */
  tid: 4,
  /**
   * 1 while the guest waits for the reply to an outgoing call: still running (its deadline counts)
   * but not computing (not stalled). `since` is reset when it resumes.
   */
  waiting: 5,
  /**
   * The last request the worker started (ids grow): one at or below it has run or runs now, even if
   * its result is still in the worker's batch, and must not be withdrawn.
   */
  started: 6,
} as const;
/** Length of the activity array. */
export const ACTIVITY_SLOTS = 7;
/** `ActivitySlot.kind` values. */
export const Activity = { idle: 0, request: 1, instantiate: 2, run: 3 } as const;

/**
 * A batch flattened into one array of primitives: structured clone copies a flat array of strings
 * and numbers several times faster than the same data as objects (no property names per item).
 */
export type Packed = Array<string | number | Uint8Array | null | InstanceEnd>;

/** A request as the main thread holds it, before it is given an id and an instance. */
export type RequestFields = Omit<WireRequest, 'id' | 'instanceId'>;

/** Appends a request to a batch. */
export function packRequest(out: Packed, id: number, instanceId: number, r: RequestFields): void {
  out.push(id, instanceId, r.method, r.path, r.authority, r.scheme, r.deadlineAt, r.body, r.headers.length);
  for (const h of r.headers) out.push(h);
}

/** Reads the requests of a batch. */
export function unpackRequests(batch: Packed): WireRequest[] {
  const out: WireRequest[] = [];
  let i = 0;
  while (i < batch.length) {
    const n = batch[i + 8] as number;
    out.push({
      id: batch[i] as number,
      instanceId: batch[i + 1] as number,
      method: batch[i + 2] as string,
      path: batch[i + 3] as string,
      authority: batch[i + 4] as string,
      scheme: batch[i + 5] as 'http' | 'https',
      deadlineAt: batch[i + 6] as number,
      body: batch[i + 7] as Uint8Array | null,
      headers: batch.slice(i + 9, i + 9 + n) as string[],
    });
    i += 9 + n;
  }
  return out;
}

const OK = 0;
const FAILED = 1;
const EXPIRED = 2;
const WITHDRAWN = 3;

/** Appends `r` (not `lost`: that one never crosses the boundary) to a result batch. */
export function packResult(out: Packed, r: Exclude<WireResult, { lost: string }>): void {
  if ('status' in r) {
    out.push(r.id, OK, r.status, r.body, r.headers.length);
    for (const h of r.headers) out.push(h);
  } else if ('expired' in r) {
    out.push(r.id, EXPIRED);
  } else if ('withdrawn' in r) {
    out.push(r.id, WITHDRAWN);
  } else {
    out.push(r.id, FAILED, r.failed, r.end ?? null);
  }
}

/** Reads the results of a batch, calling `each` in order. */
export function unpackResults(batch: Packed, each: (r: WireResult) => void): void {
  let i = 0;
  while (i < batch.length) {
    const id = batch[i] as number;
    const kind = batch[i + 1] as number;
    if (kind === OK) {
      const n = batch[i + 4] as number;
      each({
        id,
        status: batch[i + 2] as number,
        body: batch[i + 3] as Uint8Array,
        headers: batch.slice(i + 5, i + 5 + n) as string[],
      });
      i += 5 + n;
    } else if (kind === EXPIRED) {
      each({ id, expired: true });
      i += 2;
    } else if (kind === WITHDRAWN) {
      each({ id, withdrawn: true });
      i += 2;
    } else {
      const end = batch[i + 3] as InstanceEnd | null;
      each(end ? { id, failed: batch[i + 2] as string, end } : { id, failed: batch[i + 2] as string });
      i += 4;
    }
  }
}
