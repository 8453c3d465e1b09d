/**
 * kubectl's streaming subresources with the real kubectl (`/usr/bin/kubectl`, v1.32) against a real
 * TLS hub and a node running Wasm pods: `exec` and `attach` over WebSocket (v5.channel.k8s.io) with
 * exit codes and `-c`, an interactive `exec -i` (testdata/chat), and `logs` with its flag families. Pods run the countdown example (a command component):
 * long-running containers that log a line every half second, and whose fresh instance answers exec.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../src/api/index.js';
import { Cluster, ROOT, kind, until } from './support/cluster.js';
import { KUBECTL, kubectl, requireKubectl, type KubectlResult } from './support/kubectl.js';
import { buildComponent } from '../src/runtime-wasm/testing/runtime-harness.js';

const NODE = { name: 'stream-1', address: '127.0.43.1' };
const COUNTDOWN = join(ROOT, 'examples/wasm-apps/countdown/dist/countdown.wasm');
const CHAT = join(ROOT, 'src/runtime-wasm/testdata/chat/dist/chat.wasm');

type Run = KubectlResult;

const container = (name: string, env: Record<string, string>) => ({
  name,
  image: COUNTDOWN,
  env: Object.entries(env).map(([n, value]) => ({ name: n, value })),
});

/** `cd`: two long-running containers (side exits 3 from exec); `short`: exits after two lines, so it restarts. */
const PODS = [
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'cd', labels: { app: 'cd' } },
    spec: {
      containers: [
        container('main', { COUNT: '100000', INTERVAL_MS: '500' }),
        container('side', { COUNT: '100000', INTERVAL_MS: '500', EXIT_CODE: '3' }),
      ],
    },
  },
  {
    // testdata/chat: its container sleeps; `chat` exec'd in it answers each line of stdin at once.
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'chat' },
    spec: { containers: [{ name: 'talk', image: CHAT }] },
  },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'short' },
    spec: { containers: [container('main', { COUNT: '2', INTERVAL_MS: '200' })] },
  },
]
  .map((d) => JSON.stringify(d))
  .join('\n---\n');

type PodLike = KubeObject & {
  status?: { phase?: string; containerStatuses?: { name: string; ready?: boolean; restartCount: number }[] };
};

describe('kubectl exec and logs through the hub', () => {
  const cluster = new Cluster();
  const k = (args: string[], stdin?: string): Promise<Run> =>
    kubectl(join(cluster.hubDir, 'admin.kubeconfig'), args, { stdin });
  const pod = (name: string) => cluster.client.get<PodLike>(kind('pods'), 'default', name);

  beforeAll(async () => {
    requireKubectl();
    buildComponent('testdata/chat'); // a test fixture, not one of the examples: built here (cached)
    await cluster.start([NODE]);
    const r = await cluster.edgectl(['apply', '-f', '-'], PODS);
    expect(r.code, r.stderr).toBe(0);
    await until(
      'both containers of pod cd, and pod chat, running',
      async () =>
        (await pod('cd')).status?.containerStatuses?.filter((c) => c.ready).length === 2 &&
        (await pod('chat')).status?.containerStatuses?.[0]?.ready === true,
      60_000,
      200,
    );
  }, 120_000);

  afterAll(async () => {
    await cluster.stop();
  });

  describe('exec (WebSocket v5.channel.k8s.io)', () => {
    it('runs a command in the default container and prints its output, exit code 0', async () => {
      const r = await k(['exec', 'cd', '--', 'countdown', '2']);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toBe('countdown: 2\ncountdown: 1\n');
    });

    it('exits with the command’s non-zero exit code, in the container -c names', async () => {
      const r = await k(['exec', 'cd', '-c', 'side', '--', 'countdown', '1']);
      expect(r.out).toBe('countdown: 1\n');
      expect(r.code).toBe(3);
      expect(r.err).toContain('command terminated with exit code 3');
    });

    it("names an unknown container and a missing pod, and gives a Wasm command kubectl's stdin", async () => {
      const bad = await k(['exec', 'cd', '-c', 'nope', '--', 'countdown']);
      expect(bad.code).toBe(1);
      expect(bad.err).toContain('container nope is not valid for pod cd');
      const missing = await k(['exec', 'no-such-pod', '--', 'countdown']);
      expect(missing.code).toBe(1);
      expect(missing.err).toContain('pods "no-such-pod" not found');
      // `countdown cat` copies its wasi:cli/stdin (kubectl's stdin, read whole on the node) to stdout.
      const stdin = await k(['exec', '-i', 'cd', '--', 'countdown', 'cat'], 'hi\n');
      expect(stdin.code, stdin.err).toBe(0);
      expect(stdin.out).toBe('hi\n');
    });
  });

  it('exec -i to a Wasm command is interactive: each line is answered before the next is sent; EOF → exit code', async () => {
    const p = spawn(
      KUBECTL,
      ['--kubeconfig', join(cluster.hubDir, 'admin.kubeconfig'), 'exec', '-i', 'chat', '--', 'chat', 'fail'],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const code = new Promise<number | null>((resolve) => p.once('exit', resolve));
    try {
      p.stdin.write('hello\n');
      await until('the answer to line 1', () => out === 'got hello\n', 30_000, 20);
      p.stdin.write('wörld\n');
      await until('the answer to line 2', () => out === 'got hello\ngot wörld\n', 30_000, 20);
      p.stdin.end();
      expect(await code).toBe(1);
      expect(out).toBe('got hello\ngot wörld\n');
      expect(err).toContain('bye after 2 lines\n');
      expect(err).toContain('command terminated with exit code 1');
    } finally {
      p.kill();
    }
  });

  it('attach (no -i/-t) streams the container’s output from now on', async () => {
    const p = spawn(KUBECTL, ['--kubeconfig', join(cluster.hubDir, 'admin.kubeconfig'), 'attach', 'cd', '-c', 'side'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const got = await until('two attached lines', () => {
        const l = out.split('\n').filter((x) => x !== '');
        return l.length >= 2 ? l : undefined;
      });
      const n = got.map((l) => Number(/^countdown: (\d+)$/.exec(l)?.[1]));
      expect(n[1]).toBe(n[0]! - 1);
      // From now on: not the container's first line.
      expect(n[0]).toBeLessThan(100000);
    } finally {
      p.kill();
    }
  });

  describe('logs', () => {
    /** Waits until container `c` of cd has logged at least `n` lines, and returns them all. */
    const lines = async (c: string, n: number): Promise<string[]> =>
      until(
        `${n} log lines of cd/${c}`,
        async () => {
          const r = await k(['logs', 'cd', '-c', c]);
          const all = r.out.split('\n').filter((l) => l !== '');
          return all.length >= n ? all : undefined;
        },
        60_000,
        250,
      );

    beforeAll(async () => {
      await lines('main', 12);
    }, 70_000);

    it('prints a container’s log (-c), its last lines (--tail) with timestamps (--timestamps)', async () => {
      const all = await lines('side', 2);
      expect(all[0]).toBe('countdown: 100000');
      expect(all.every((l) => /^countdown: \d+$/.test(l))).toBe(true);
      const tail = await k(['logs', 'cd', '-c', 'main', '--tail=2', '--timestamps']);
      expect(tail.code, tail.err).toBe(0);
      const got = tail.out.trimEnd().split('\n');
      expect(got).toHaveLength(2);
      for (const l of got) expect(l).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z countdown: \d+$/);
    });

    it('keeps only recent lines with --since, stripping the timestamps it needed', async () => {
      const all = await lines('main', 12);
      const asked = Date.now();
      const since = await k(['logs', 'cd', '-c', 'main', '--since=2s', '--timestamps']);
      expect(since.code, since.err).toBe(0);
      const got = since.out.trimEnd().split('\n');
      expect(got.length).toBeGreaterThan(0);
      expect(got.length).toBeLessThan(all.length);
      // Every line is from the last 2 s before the request (1 s of slack for the request's own way).
      for (const l of got) expect(Date.parse(l.split(' ')[0]!)).toBeGreaterThanOrEqual(asked - 3000);
      const plain = await k(['logs', 'cd', '-c', 'main', '--since=2s']);
      expect(
        plain.out
          .trimEnd()
          .split('\n')
          .every((l) => /^countdown: \d+$/.test(l)),
      ).toBe(true);
      const sinceTime = await k(['logs', 'cd', '-c', 'main', `--since-time=${new Date(asked + 60_000).toISOString()}`]);
      expect(sinceTime).toMatchObject({ code: 0, out: '' });
    });

    it('cuts the log at --limit-bytes', async () => {
      const r = await k(['logs', 'cd', '-c', 'main', '--limit-bytes=20']);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toBe('countdown: 100000\nco');
    });

    it('follows new lines with -f', async () => {
      const p = spawn(
        KUBECTL,
        ['--kubeconfig', join(cluster.hubDir, 'admin.kubeconfig'), 'logs', '-f', 'cd', '-c', 'main', '--tail=1'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      try {
        const got = await until('three followed lines', () => {
          const l = out.split('\n').filter((x) => x !== '');
          return l.length >= 3 ? l : undefined;
        });
        const n = got.map((l) => Number(l.split(': ')[1]));
        // The countdown counts down: each followed line is the next one.
        expect(n[1]).toBe(n[0]! - 1);
        expect(n[2]).toBe(n[0]! - 2);
      } finally {
        p.kill();
      }
    });

    it('prints every container (--all-containers) of the pods -l selects, with --prefix', async () => {
      const r = await k(['logs', '-l', 'app=cd', '--all-containers', '--prefix', '--tail=1']);
      expect(r.code, r.err).toBe(0);
      const got = r.out.trimEnd().split('\n').sort();
      expect(got).toHaveLength(2);
      expect(got[0]).toMatch(/^\[pod\/cd\/main\] countdown: \d+$/);
      expect(got[1]).toMatch(/^\[pod\/cd\/side\] countdown: \d+$/);
    });

    it('prints the previous instance’s log with --previous', async () => {
      await until(
        'pod short restarted',
        async () => ((await pod('short')).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1,
        60_000,
        250,
      );
      const r = await k(['logs', 'short', '--previous']);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toBe('countdown: 2\ncountdown: 1\n');
      const none = await k(['logs', 'cd', '-c', 'main', '--previous']);
      expect(none.code).toBe(1);
      expect(none.err).toContain('previous terminated container "main" in pod "cd" not found');
    }, 70_000);
  });
});
