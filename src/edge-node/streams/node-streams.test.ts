/* NodeStreams on a runtime with only a one-shot exec (as Wasm): stdin read whole, then handed over; -t refused. */
import { describe, expect, it, vi } from 'vitest';
import {
  STREAM_CHUNK_MAX_BYTES,
  type ExecOptions,
  type ExecProcess,
  type HubStreamFrame,
  type NodeStreamFrame,
  type Runtime,
} from '../../api/index.js';
import { PassThrough } from 'node:stream';
import { silentLogger } from '../../platform/index.js';
import { MAX_ONE_SHOT_STDIN_BYTES, NodeStreams } from './node-streams.js';

/** A runtime whose one-shot exec reports what it was given (the Wasm runtime's own is tested in runtime-wasm). */
function oneShotRuntime(calls: { command: readonly string[]; opts: ExecOptions }[]): Runtime {
  const exec = (_id: string, command: readonly string[], opts: ExecOptions) => {
    calls.push({ command, opts });
    const text = Buffer.from(opts.stdin ?? new Uint8Array()).toString('utf8');
    return Promise.resolve({ exitCode: 3, stdout: text.toUpperCase(), stderr: `${text.length} bytes\n` });
  };
  return { name: 'wasm', exec } as unknown as Runtime;
}

/** NodeStreams over one pod whose container runs on `runtime`; frames sent back are collected. */
function streamsOn(runtime: Runtime): { streams: NodeStreams; frames: NodeStreamFrame[] } {
  const frames: NodeStreamFrame[] = [];
  const worker = { runningInstance: () => ({ runtime, id: 'c1', name: 'main' }) };
  const streams = new NodeStreams({
    workers: { find: () => worker } as never,
    send: (f) => frames.push(f),
    logger: silentLogger(),
  });
  return { streams, frames };
}

const open = (stdin: boolean, tty = false): HubStreamFrame => ({
  type: 'streamOpen',
  streamId: 's1',
  pod: { namespace: 'default', name: 'p' },
  command: ['countdown', 'cat'],
  stdin,
  tty,
});

async function exitOf(frames: NodeStreamFrame[]): Promise<Extract<NodeStreamFrame, { type: 'streamExit' }>> {
  for (let i = 0; i < 200; i++) {
    const exit = frames.find((f) => f.type === 'streamExit');
    if (exit?.type === 'streamExit') return exit;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('no streamExit');
}

const output = (frames: NodeStreamFrame[], fd: 1 | 2): string =>
  Buffer.concat(frames.flatMap((f) => (f.type === 'streamOutput' && f.fd === fd ? [f.data] : []))).toString();

describe('NodeStreams on a runtime with only a one-shot exec', () => {
  it('reads stdin to its close, acknowledging it as it comes, then runs the command with all of it', async () => {
    const calls: { command: readonly string[]; opts: ExecOptions }[] = [];
    const { streams, frames } = streamsOn(oneShotRuntime(calls));
    streams.handle(open(true));
    const chunk = 'x'.repeat(STREAM_CHUNK_MAX_BYTES);
    for (let i = 0; i < 3; i++) streams.handle({ type: 'streamInput', streamId: 's1', data: Buffer.from(chunk) });
    streams.handle({ type: 'streamInput', streamId: 's1', data: Buffer.from('end\n') });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toHaveLength(0); // not before stdin is closed
    const acked = frames.reduce((n, f) => n + (f.type === 'streamAck' ? f.bytes : 0), 0);
    expect(acked).toBe(3 * chunk.length + 4);
    streams.handle({ type: 'streamClose', streamId: 's1' });
    expect(await exitOf(frames)).toMatchObject({ exitCode: 3 });
    expect(calls[0]?.command).toEqual(['countdown', 'cat']);
    expect(Buffer.from(calls[0]?.opts.stdin ?? []).toString()).toBe(`${chunk.repeat(3)}end\n`);
    expect(output(frames, 1)).toBe(`${chunk.repeat(3)}end\n`.toUpperCase());
    expect(output(frames, 2)).toBe(`${3 * chunk.length + 4} bytes\n`);
  });

  it('does not run a command whose stdin passes the cap, and says why', async () => {
    const calls: { command: readonly string[]; opts: ExecOptions }[] = [];
    const { streams, frames } = streamsOn(oneShotRuntime(calls));
    streams.handle(open(true));
    const data = Buffer.alloc(STREAM_CHUNK_MAX_BYTES);
    for (let sent = 0; sent <= MAX_ONE_SHOT_STDIN_BYTES; sent += data.length) {
      streams.handle({ type: 'streamInput', streamId: 's1', data });
      // Keep within the hub's window as the hub does: wait for the node's acks.
      const acked = (): number => frames.reduce((n, f) => n + (f.type === 'streamAck' ? f.bytes : 0), 0);
      await vi.waitFor(() => expect(acked()).toBeGreaterThanOrEqual(sent + data.length), {
        timeout: 15_000,
        interval: 1,
      });
    }
    streams.handle({ type: 'streamClose', streamId: 's1' });
    const exit = await exitOf(frames);
    expect(exit.exitCode).toBe(126);
    expect(calls).toHaveLength(0);
    expect(output(frames, 2)).toContain(`more than the ${MAX_ONE_SHOT_STDIN_BYTES} a command of runtime "wasm" takes`);
  });

  it('refuses a terminal, saying why', async () => {
    const { streams, frames } = streamsOn(oneShotRuntime([]));
    streams.handle(open(true, true));
    expect((await exitOf(frames)).error).toContain('cannot give a command a terminal (kubectl exec -t)');
  });

  it('a stream cancelled before its stdin ended never runs the command', async () => {
    const calls: { command: readonly string[]; opts: ExecOptions }[] = [];
    const { streams, frames } = streamsOn(oneShotRuntime(calls));
    streams.handle(open(true));
    streams.handle({ type: 'streamInput', streamId: 's1', data: Buffer.from('partial') });
    streams.handle({ type: 'streamCancel', streamId: 's1' });
    expect((await exitOf(frames)).exitCode).toBe(137);
    expect(calls).toHaveLength(0);
  });
});

describe('NodeStreams attach (protocol 8)', () => {
  const attachOpen = (stdin: boolean): HubStreamFrame => ({
    type: 'attachOpen',
    streamId: 'a1',
    pod: { namespace: 'default', name: 'p' },
    stdin,
    tty: false,
  });

  it('joins the container through the runtime’s attach: stdin in, output out, a cancel detaches', async () => {
    // The container's side as a runtime's attach gives it: its stdin, its output, a detach.
    const containerStdin = new PassThrough();
    let got = '';
    containerStdin.on('data', (d: Buffer) => (got += d.toString()));
    const stdout = new PassThrough();
    let detached = false;
    const attached: ExecProcess = {
      stdin: containerStdin,
      stdout,
      stderr: undefined,
      resize: () => undefined,
      kill: () => {
        detached = true;
        stdout.end();
      },
      exited: new Promise<number>((resolve) => stdout.on('end', () => resolve(0))),
    };
    const runtime = { name: 'oci', attach: () => Promise.resolve(attached) };
    const { streams, frames } = streamsOn(runtime as unknown as Runtime);
    streams.handle(attachOpen(true));
    streams.handle({ type: 'streamInput', streamId: 'a1', data: Buffer.from('hi\n') });
    for (let i = 0; i < 200 && got === ''; i++) await new Promise((r) => setTimeout(r, 10));
    expect(got).toBe('hi\n');
    stdout.write('hello\n');
    for (let i = 0; i < 200 && output(frames, 1) === ''; i++) await new Promise((r) => setTimeout(r, 10));
    expect(output(frames, 1)).toBe('hello\n');
    streams.handle({ type: 'streamCancel', streamId: 'a1' });
    expect(await exitOf(frames)).toMatchObject({ exitCode: 0 });
    expect(detached).toBe(true);
  });

  it('ends with an error naming why on a runtime that cannot attach (Wasm)', async () => {
    const { streams, frames } = streamsOn(oneShotRuntime([]));
    streams.handle(attachOpen(true));
    expect((await exitOf(frames)).error).toContain('runtime "wasm" cannot attach to a container\'s stdin');
  });
});
