/**
 * Streaming exec on real executors and real components (`Runtime.execStream`, kubectl `exec -i`):
 * an interactive C command (testdata/chat) answers each line before the next is sent; stdin larger
 * than the shared ring passes byte for byte (countdown cat); a guest flooding a slow reader keeps at
 * most the output window queued; a cancel ends a guest blocked in a read and frees its executor.
 */
import type { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ExecProcess } from '../api/index.js';
import type { WasmRuntime } from './index.js';
import { containerConfig, run, runtimeSuite, until } from './testing/runtime-harness.js';
import { OUTPUT_WINDOW_BYTES, RING_BYTES } from './stdio/index.js';

const suite = runtimeSuite('exec-stream', {
  chat: 'testdata/chat',
  countdown: 'countdown',
  flood: 'testdata/flood',
});

/** Everything a stream yields, as text, as it comes (`text()` is what came so far). */
function collect(r: Readable): { text(): string; done: Promise<string> } {
  let got = '';
  r.setEncoding('utf8');
  r.on('data', (d: string) => (got += d));
  const done = new Promise<string>((resolve) => r.once('end', () => resolve(got)));
  return { text: () => got, done };
}

let runtime: WasmRuntime;
beforeAll(async () => {
  runtime = (await suite.start('rt')).runtime;
}, 300_000);

/** A running container of `name`'s component, for the execs (one runtime for the file: compiles once). */
async function started(name: 'chat' | 'countdown' | 'flood') {
  const pulled = await runtime.pullImage(suite.refs[name]);
  // The container's own argv[0] is its name (not `chat`): it sleeps, running, for the execs.
  const cfg = await run(runtime, containerConfig(pulled, suite.dir, { name: 'sleeper' }));
  return { runtime, id: cfg.id };
}

describe('a streaming Wasm exec', { timeout: 120_000 }, () => {
  it('answers each line as it comes: line 2 is sent only after the answer to line 1; EOF → exit code', async () => {
    const { runtime, id } = await started('chat');
    const p: ExecProcess = await runtime.execStream(id, ['chat', 'fail'], { stdin: true, tty: false });
    const out = collect(p.stdout);
    const err = collect(p.stderr!);
    p.stdin!.write('hello\n');
    await until('the answer to line 1', () => out.text() === 'got hello\n');
    p.stdin!.write('wörld\n');
    await until('the answer to line 2', () => out.text() === 'got hello\ngot wörld\n');
    p.stdin!.end();
    expect(await p.exited).toBe(1);
    expect(await out.done).toBe('got hello\ngot wörld\n');
    expect(await err.done).toBe('bye after 2 lines\n');
    // Without -i its stdin is at its end from the start.
    const closed = await runtime.execStream(id, ['chat'], { stdin: false, tty: false });
    const closedErr = collect(closed.stderr!);
    expect(await closed.exited).toBe(0);
    expect(await closedErr.done).toBe('bye after 0 lines\n');
    await runtime.removeContainer(id);
  });

  it('passes stdin several times the ring’s size byte for byte (the writer waits for room)', async () => {
    const { runtime, id } = await started('countdown');
    const input = Buffer.from(Array.from({ length: 30_000 }, (_, i) => `line ${i} ${'é'.repeat(i % 5)}\n`).join(''));
    expect(input.length).toBeGreaterThan(4 * RING_BYTES);
    const p = await runtime.execStream(id, ['countdown', 'cat'], { stdin: true, tty: false });
    const out = collect(p.stdout);
    const err = collect(p.stderr!);
    p.stdin!.end(input);
    expect(await p.exited).toBe(0);
    expect(await out.done).toBe(input.toString());
    expect(await err.done).toBe(`countdown: copied ${input.length} bytes\n`);
    await runtime.removeContainer(id);
  });

  it('keeps at most the output window queued while a slow reader takes a guest’s flood', async () => {
    const { runtime, id } = await started('flood');
    const total = 8 * 1024 * 1024;
    const p = await runtime.execStream(id, ['flood', String(total)], { stdin: false, tty: false });
    let received = 0;
    let maxQueued = 0;
    for (;;) {
      // Slow: a few turns of the event loop per 4 KiB taken, while the guest could write MiBs.
      for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
      maxQueued = Math.max(maxQueued, p.stdout.readableLength);
      const chunk = p.stdout.read(4096) as Buffer | null;
      if (chunk) received += chunk.length;
      else if (p.stdout.readableEnded) break;
      else
        await new Promise<void>((resolve) => {
          // Whichever comes first; the other listener goes too (left, they piled up: a listener warning).
          const done = (): void => {
            p.stdout.off('readable', done).off('end', done);
            resolve();
          };
          p.stdout.once('readable', done).once('end', done);
        });
    }
    expect(received).toBe(total);
    expect(maxQueued).toBeGreaterThan(0);
    expect(maxQueued).toBeLessThanOrEqual(OUTPUT_WINDOW_BYTES);
    expect(await p.exited).toBe(0);
    await runtime.removeContainer(id);
  });

  it('a cancel ends a guest blocked reading stdin and frees its executor; the next exec runs', async () => {
    const { runtime, id } = await started('chat');
    const before = runtime.stats.executorThreads;
    const p = await runtime.execStream(id, ['chat'], { stdin: true, tty: false });
    const out = collect(p.stdout);
    p.stdin!.write('one\n');
    await until('the answer', () => out.text() === 'got one\n');
    // Blocked in a read now; the client goes.
    p.kill();
    expect(await p.exited).toBe(137);
    await until('its executor thread ended', () => runtime.stats.executorThreads === before);
    const next = await runtime.execStream(id, ['chat', 'fail'], { stdin: false, tty: false });
    expect(await next.exited).toBe(1);
    expect(runtime.containerStatus(id)?.state).toBe('running');
    await runtime.removeContainer(id);
  });

  it('refuses a terminal and kubectl cp’s tools, saying why', async () => {
    const { runtime, id } = await started('chat');
    await expect(runtime.execStream(id, ['chat'], { stdin: true, tty: true })).rejects.toThrow(
      'a Wasm command has no terminal (kubectl exec -t)',
    );
    await expect(runtime.execStream(id, ['tar', 'xf', '-'], { stdin: true, tty: false })).rejects.toThrow(
      'a Wasm container has no tar',
    );
    await runtime.removeContainer(id);
  });
});
