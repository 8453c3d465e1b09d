/* NodeStream driving real processes (sh, cat, head): credit-bounded output, acknowledged stdin, cancel. */
import { spawn } from 'node:child_process';
import { describe, expect, it, vi } from 'vitest';
import {
  STREAM_CHUNK_MAX_BYTES,
  STREAM_WINDOW_BYTES,
  type ExecProcess,
  type NodeStreamFrame,
} from '../../api/index.js';
import { NodeStream } from './node-stream.js';

/** A host process as an ExecProcess (the runtimes' processes have the same shape). */
function proc(cmd: string, args: string[], stdin = false): Promise<ExecProcess> {
  const child = spawn(cmd, args, { stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number>((resolve) =>
    child.once('close', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? 137 : 143))),
  );
  const { stdout, stderr } = child;
  if (!stdout || !stderr) throw new Error('no output pipes');
  return Promise.resolve({
    stdin: child.stdin ?? undefined,
    stdout,
    stderr,
    resize: () => undefined,
    kill: () => child.kill('SIGKILL'),
    exited,
  });
}

const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('NodeStream', () => {
  it('sends no more output than the hub has acknowledged plus one window, and all of it once acknowledged', async () => {
    const frames: NodeStreamFrame[] = [];
    const stream = new NodeStream('s', (f) => frames.push(f));
    const total = 4 * STREAM_WINDOW_BYTES + 123;
    const done = stream.run(() => proc('head', ['-c', String(total), '/dev/zero']));
    const outBytes = (): number => frames.reduce((n, f) => n + (f.type === 'streamOutput' ? f.data.byteLength : 0), 0);
    // Without acks, the stream stops at the window (the process blocks on its pipe meanwhile).
    // (The process may be slow to start on a loaded machine: poll for the window to fill first.)
    await vi.waitFor(() => expect(outBytes()).toBeGreaterThan(STREAM_WINDOW_BYTES - STREAM_CHUNK_MAX_BYTES), {
      timeout: 15_000,
      interval: 20,
    });
    await settle(200);
    // Stopped within the window: the next piece did not fit what is left of it.
    const stopped = outBytes();
    expect(stopped).toBeLessThanOrEqual(STREAM_WINDOW_BYTES);
    expect(stopped).toBeGreaterThan(STREAM_WINDOW_BYTES - STREAM_CHUNK_MAX_BYTES);
    await settle(200);
    expect(outBytes()).toBe(stopped);
    expect(frames.some((f) => f.type === 'streamExit')).toBe(false);
    // Acknowledge everything as it comes: the rest flows, then the exit.
    let acked = 0;
    while (!frames.some((f) => f.type === 'streamExit')) {
      const sent = outBytes();
      if (sent > acked) {
        expect(stream.acknowledged(sent - acked)).toBe(true);
        acked = sent;
      }
      await settle(5);
    }
    await done;
    expect(outBytes()).toBe(total);
    expect(stream.acknowledged(total - acked)).toBe(true);
    expect(frames.at(-1)).toEqual({ type: 'streamExit', streamId: 's', exitCode: 0 });
    expect(stream.acknowledged(1)).toBe(false); // past the window: a broken hub
  });

  it('writes stdin, acknowledges it once the pipe took it, closes it, and refuses stdin past the window', async () => {
    const frames: NodeStreamFrame[] = [];
    const stream = new NodeStream('s', (f) => frames.push(f));
    const done = stream.run(() => proc('cat', [], true));
    await settle(50);
    expect(stream.input(Buffer.from('hello\n'))).toBe(true);
    stream.closeStdin();
    await done;
    const out = frames.flatMap((f) => (f.type === 'streamOutput' ? [Buffer.from(f.data).toString()] : [])).join('');
    expect(out).toBe('hello\n');
    expect(frames).toContainEqual({ type: 'streamAck', streamId: 's', bytes: 6 });
    expect(frames.at(-1)).toEqual({ type: 'streamExit', streamId: 's', exitCode: 0 });

    const greedy = new NodeStream('g', () => undefined);
    const run = greedy.run(() => proc('sleep', ['30'], true));
    await settle(50);
    expect(greedy.input(Buffer.alloc(STREAM_WINDOW_BYTES + 1))).toBe(false);
    greedy.cancel();
    await run;
  });

  it('cancel kills the process, even one waiting for credit, and still ends with streamExit', async () => {
    const frames: NodeStreamFrame[] = [];
    const stream = new NodeStream('c', (f) => frames.push(f));
    const done = stream.run(() => proc('yes', []));
    await settle(200);
    stream.cancel();
    await done;
    expect(frames.at(-1)).toEqual({ type: 'streamExit', streamId: 'c', exitCode: 137 });
  });

  it('reports a process that could not start as an error exit', async () => {
    const frames: NodeStreamFrame[] = [];
    await new NodeStream('e', (f) => frames.push(f)).run(() =>
      Promise.reject(new Error('container main is not running')),
    );
    expect(frames).toEqual([{ type: 'streamExit', streamId: 'e', error: 'container main is not running' }]);
  });
});
