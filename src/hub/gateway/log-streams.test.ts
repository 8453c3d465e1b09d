import { describe, expect, it } from 'vitest';
import { ServiceUnavailableError } from '../../api/index.js';
import { ExecRequests } from './exec-requests.js';
import { LogStreams } from './log-streams.js';

async function readAll(streams: LogStreams, id: string): Promise<{ chunks: string[]; error?: unknown }> {
  const chunks: string[] = [];
  try {
    for await (const c of streams.read(id, new AbortController().signal)) chunks.push(c);
    return { chunks };
  } catch (error) {
    return { chunks, error };
  }
}

describe('LogStreams', () => {
  it('ends a stream whose reader falls more than the cap behind, instead of buffering the node', async () => {
    const streams = new LogStreams(1024);
    streams.open('r1', 'node-a');
    expect(streams.push('r1', 'node-a', 'x'.repeat(600), false)).toBe('queued');
    expect(streams.push('r1', 'node-a', 'y'.repeat(600), false)).toBe('overflow');
    expect(streams.push('r1', 'node-a', 'z', false)).toBe('unknown');
    const { chunks, error } = await readAll(streams, 'r1');
    expect(chunks).toEqual(['x'.repeat(600)]);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(String(error)).toMatch(/log stream ended: the reader fell more than 1 KiB behind the node/);
  });

  it('accepts chunks only from the node serving the stream, and counts streams per node', async () => {
    const streams = new LogStreams();
    streams.open('r1', 'node-a');
    streams.open('r2', 'node-a');
    streams.open('r3', 'node-b');
    expect(streams.countFor('node-a')).toBe(2);
    expect(streams.push('r1', 'node-b', 'injected', false)).toBe('unknown');
    expect(streams.push('r1', 'node-a', 'mine', true)).toBe('queued');
    expect((await readAll(streams, 'r1')).chunks).toEqual(['mine']);
    expect(streams.countFor('node-a')).toBe(1);
  });
});

describe('ExecRequests', () => {
  it('counts requests in flight per node and fails them when the node goes away', async () => {
    const execs = new ExecRequests();
    const a = execs.wait('e1', 'node-a', 60_000);
    const b = execs.wait('e2', 'node-b', 60_000);
    expect(execs.countFor('node-a')).toBe(1);
    execs.answer('e2', 'node-a', { exitCode: 0 }); // not node-a's request: ignored
    expect(execs.countFor('node-b')).toBe(1);
    execs.answer('e2', 'node-b', { exitCode: 3, stdout: 'ok' });
    await expect(b).resolves.toEqual({ exitCode: 3, stdout: 'ok', stderr: '' });
    execs.failNode('node-a');
    await expect(a).rejects.toThrow(/node node-a disconnected/);
    expect(execs.countFor('node-a')).toBe(0);
  });

  it('fails an answer with neither an exit code nor an error instead of calling it exit code 0', async () => {
    const execs = new ExecRequests();
    const a = execs.wait('e1', 'node-a', 60_000);
    execs.answer('e1', 'node-a', { stdout: 'partial' });
    await expect(a).rejects.toThrow(/node node-a answered the exec request with neither an exit code nor an error/);
    expect(execs.countFor('node-a')).toBe(0);
  });
});
