import { PassThrough, type Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ContainerAttachments } from './runc-attach.js';

/** Everything `r` yields until it ends. */
async function all(r: Readable): Promise<string> {
  let s = '';
  for await (const c of r as AsyncIterable<Buffer>) s += c.toString();
  return s;
}

/** A container stdin pipe, with what reached it and whether it was closed. */
function pipe() {
  const p = new PassThrough();
  let got = '';
  p.on('data', (d: Buffer) => (got += d.toString()));
  return { p, got: () => got, ended: () => p.writableEnded };
}

describe('attaching to a container process', () => {
  it('gives each attachment the output from its attach on, stdout and stderr apart, and the exit code', async () => {
    const c = new ContainerAttachments({ stdin: undefined, stdinOnce: false, tty: false, resize: () => undefined });
    void c.publish(1, Buffer.from('before\n'));
    const a = c.attach({ stdin: false, tty: false });
    const out = all(a.stdout);
    const err = all(a.stderr!);
    void c.publish(1, Buffer.from('one\n'));
    void c.publish(2, Buffer.from('oops\n'));
    c.exited(3);
    expect(await out).toBe('one\n');
    expect(await err).toBe('oops\n');
    expect(await a.exited).toBe(3);
    // After the exit: ends at once with the same code.
    const late = c.attach({ stdin: false, tty: false });
    expect(await late.exited).toBe(3);
  });

  it('writes stdin to the container; a detach or the client’s end leaves it open without stdinOnce', async () => {
    const stdin = pipe();
    const c = new ContainerAttachments({ stdin: stdin.p, stdinOnce: false, tty: false, resize: () => undefined });
    const a = c.attach({ stdin: true, tty: false });
    a.stdin!.end('hi\n');
    await new Promise((r) => setImmediate(r));
    a.kill();
    expect(await a.exited).toBe(0);
    expect(stdin.got()).toBe('hi\n');
    expect(stdin.ended()).toBe(false);
    const b = c.attach({ stdin: true, tty: false });
    b.stdin!.write('again\n');
    await new Promise((r) => setImmediate(r));
    expect(stdin.got()).toBe('hi\nagain\n');
  });

  it('with stdinOnce closes the container’s stdin when the first writing attach ends; later ones get none', () => {
    const stdin = pipe();
    const c = new ContainerAttachments({ stdin: stdin.p, stdinOnce: true, tty: false, resize: () => undefined });
    const reader = c.attach({ stdin: false, tty: false });
    reader.kill();
    expect(stdin.ended()).toBe(false); // it never wrote
    const a = c.attach({ stdin: true, tty: false });
    a.stdin!.write('x');
    a.kill();
    expect(stdin.ended()).toBe(true);
    expect(c.attach({ stdin: true, tty: false }).stdin).toBeUndefined();
  });

  it('with a tty: one output stream, and resizes reach the terminal', () => {
    const sizes: string[] = [];
    const c = new ContainerAttachments({
      stdin: undefined,
      stdinOnce: false,
      tty: true,
      resize: (s) => sizes.push(`${s.width}x${s.height}`),
    });
    const a = c.attach({ stdin: false, tty: true });
    expect(a.stderr).toBeUndefined();
    a.resize({ width: 91, height: 33 });
    expect(sizes).toEqual(['91x33']);
  });

  it('a full attachment makes the publisher wait until its client read (no unbounded buffer)', async () => {
    const c = new ContainerAttachments({ stdin: undefined, stdinOnce: false, tty: false, resize: () => undefined });
    const a = c.attach({ stdin: false, tty: false });
    const big = Buffer.alloc(64 * 1024, 1);
    const wait = c.publish(1, big);
    expect(wait).toBeDefined();
    let done = false;
    void wait!.then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    a.stdout.resume();
    await wait;
    expect(done).toBe(true);
  });
});
