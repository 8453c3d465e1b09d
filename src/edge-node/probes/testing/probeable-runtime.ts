/**
 * A `FakeRuntime` (the agent's in-memory test runtime) whose containers answer probes as a test
 * scripts them: in-process HTTP answers per request, and an `exec` that runs a scripted command.
 */
import type { ExecResult, WorkloadEndpoint, WorkloadRequest, WorkloadResponse } from '../../../api/index.js';
import { FakeRuntime, type FakeContainer, type FakeRuntimeOptions } from '../../testing/fake-runtime.js';

/** What a scripted container answers: a status, or a promise a test holds to stall it. */
export type ScriptedAnswer = number | Promise<number>;

/** A runtime whose HTTP answers and exec results the test decides. */
export class ProbeableRuntime extends FakeRuntime {
  /** Every in-process request, in order. */
  readonly requests: Array<{ containerId: string; pod: string; port: number; req: WorkloadRequest }> = [];
  /** Every exec, in order. */
  readonly execs: Array<{ containerId: string; command: readonly string[]; timeoutMs: number }> = [];
  /** Status for a request (default 200). */
  answer: (c: FakeContainer, req: WorkloadRequest) => ScriptedAnswer = () => 200;
  /** Result of an exec (default exit 0). */
  execAnswer: (c: FakeContainer, command: readonly string[]) => ExecResult | Promise<ExecResult> = () => ({
    exitCode: 0,
    stdout: 'ok\n',
    stderr: '',
  });

  constructor(opts: FakeRuntimeOptions = {}) {
    super(opts);
  }

  override endpoint(id: string, port: number): WorkloadEndpoint {
    const c = this.containers.get(id);
    if (!c) throw new Error(`no container ${id}`);
    return {
      kind: 'in-process',
      handle: async (req): Promise<WorkloadResponse> => {
        this.requests.push({ containerId: id, pod: c.config.pod.name, port, req });
        if (c.status.state !== 'running') throw new Error(`container ${id} is not serving (${c.status.state})`);
        const status = await this.answer(c, req);
        return { status, headers: [], body: new Uint8Array(0) };
      },
    };
  }

  async exec(id: string, command: readonly string[], opts: { timeoutMs: number }): Promise<ExecResult> {
    const c = this.containers.get(id);
    if (!c) throw new Error(`no container ${id}`);
    this.execs.push({ containerId: id, command, timeoutMs: opts.timeoutMs });
    return this.execAnswer(c, command);
  }

  /** Requests a pod's containers got for `path`. */
  hits(pod: string, path: string): number {
    return this.requests.filter((r) => r.pod === pod && r.req.path === path).length;
  }
}
