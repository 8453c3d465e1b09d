/**
 * The real kubectl's `attach -it` and `attach -i` against one pod on an Engine API daemon (podman or
 * dockerd), as `oci-engine.test.ts` runs it on each: a shell on a terminal sized like kubectl's, resized,
 * detached by killing kubectl and joined again; then a `stdinOnce` reader whose input ends with
 * kubectl's, and whose exit code kubectl returns.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { type Cluster, kind, until } from './cluster.js';
import { KUBECTL, kubectl } from './kubectl.js';
import type { ContainerStatusLike, PodLike } from './oci-manifests.js';

/** The pod: a shell on a terminal (`term`) and a process reading its stdin once (`once`). */
export function attachPod(name: string, node: string, image: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      runtimeClassName: 'oci',
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      nodeSelector: { 'kubernetes.io/hostname': node },
      containers: [
        { name: 'term', image, command: ['sh'], stdin: true, tty: true },
        {
          name: 'once',
          image,
          command: ['sh', '-c', 'while read -r line; do echo "got $line"; done; echo "stdin closed"; exit 3'],
          stdin: true,
          stdinOnce: true,
        },
      ],
    },
  };
}

/** `kubectl attach -it` on a terminal of its own (util-linux `script`), `cols`×`rows` at the start. */
function attachOnTerminal(config: string, pod: string, ttyFile: string, cols: number, rows: number) {
  const line = `tty > '${ttyFile}'; stty cols ${cols} rows ${rows}; exec '${KUBECTL}' --kubeconfig '${config}' attach -it ${pod} -c term`;
  const p = spawn('script', ['-q', '-e', '-E', 'never', '-c', line, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, SHELL: '/bin/sh' },
  });
  let out = '';
  p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  p.stdin.on('error', () => undefined);
  const closed = new Promise((resolve) => p.on('close', resolve));
  /** Types `cmd` until the output matches `want`: the first lines may come before the attach is up. */
  const ask = async (cmd: string, want: RegExp): Promise<void> => {
    let sentAt = 0;
    await until(
      `${pod}: ${cmd} answering ${String(want)}`,
      () => {
        if (want.test(out)) return true;
        if (Date.now() - sentAt > 1000) {
          p.stdin.write(`${cmd}\r`);
          sentAt = Date.now();
        }
        return false;
      },
      30_000,
      50,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}; kubectl printed ${JSON.stringify(out)}`);
    });
  };
  return { ask, closed, kill: () => p.kill('SIGKILL') };
}

/**
 * Waits until both containers of `pod` run; a container that ended instead fails at once with its
 * state and output (the evidence when a container's stdin was at EOF before any attach).
 */
async function bothRunning(cluster: Cluster, config: string, pod: string): Promise<void> {
  let ended: ContainerStatusLike[] | undefined;
  await until(
    `${pod}: both containers Ready`,
    async () => {
      const statuses =
        (await cluster.client.get<PodLike>(kind('pods'), 'default', pod)).status?.containerStatuses ?? [];
      if (statuses.some((c) => c.state?.terminated)) ended = statuses;
      return ended !== undefined || (statuses.length === 2 && statuses.every((c) => c.ready));
    },
    60_000,
    100,
  );
  if (!ended) return;
  const logs = await Promise.all(
    ['term', 'once'].map(async (c) => `${c}: ${JSON.stringify((await kubectl(config, ['logs', pod, '-c', c])).out)}`),
  );
  throw new Error(`${pod} ended before any attach: ${JSON.stringify(ended)}; logs ${logs.join(', ')}`);
}

/** Runs the attach checks on `pod` (made from {@link attachPod}), then deletes it without waiting. */
export async function checkEngineAttach(cluster: Cluster, config: string, dir: string, pod: string): Promise<void> {
  await bothRunning(cluster, config, pod);
  const ttyFile = join(dir, `${pod}.attach.tty`);
  const first = attachOnTerminal(config, pod, ttyFile, 91, 33);
  try {
    await first.ask('echo A$((40+2))A; stty size', /A42A\r?\n33 91\r?\n/);
    const resize = spawn('stty', ['-F', readFileSync(ttyFile, 'utf8').trim(), 'cols', '120', 'rows', '50']);
    await new Promise((resolve) => resize.on('close', resolve));
    await first.ask('stty size', /50 120\r?\n/);
    await first.ask('X=kept-$((6*7)); echo "<$X>"', /<kept-42>/);
  } finally {
    first.kill();
  }
  await first.closed;
  // Detached by ending kubectl: the shell runs on, and a second attach finds its variable.
  const second = attachOnTerminal(config, pod, ttyFile, 80, 24);
  try {
    await second.ask('echo "[$X]"', /\[kept-42\]/);
  } finally {
    second.kill();
  }
  await second.closed;
  // stdinOnce: what kubectl sends is read, its end closes the container's stdin, the exit code comes back.
  const r = await kubectl(config, ['attach', '-i', pod, '-c', 'once'], { stdin: 'hello\nworld\n' });
  expect(r.out, `${pod}: ${r.err}`).toBe('got hello\ngot world\nstdin closed\n');
  expect(r.code, r.err).toBe(3);
  // The shell (container term, the first) still runs after both detaches.
  const after = await cluster.client.get<PodLike>(kind('pods'), 'default', pod);
  expect(after.status?.containerStatuses?.[0]?.state?.running, JSON.stringify(after.status)).toBeTruthy();
  expect((await kubectl(config, ['delete', 'pod', pod, '--wait=false'])).code).toBe(0);
}
