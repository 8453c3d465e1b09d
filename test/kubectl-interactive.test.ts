/**
 * kubectl's interactive streams with the real kubectl (`/usr/bin/kubectl`, v1.32) against a real TLS
 * hub and a real node running a busybox container under runc (host network) next to a Wasm pod:
 * `exec -i` with stdin and its v5 close, exit codes, output as it comes (past the old 1 MiB cap),
 * flow control under a reader that stops reading, cancel when kubectl is killed, `kubectl cp` both
 * ways with a byte compare, and the clear refusals for a Wasm pod. `port-forward` (SPDY over a
 * WebSocket, and plain SPDY/3.1) to a busybox `nc` echo server and to a Wasm HTTP pod, with
 * kubectl's listeners on 127.0.58.1.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { KubeObject } from '../src/api/index.js';
import { Cluster, ROOT, kind, until } from './support/cluster.js';
import { KUBECTL, kubectl, requireKubectl, type KubectlResult } from './support/kubectl.js';
import { REGISTRY_TOOLS, missingTools, runcContainers, stopGracefully } from './support/oci-cluster.js';
import { busyboxBaseLayer, ociImage } from './support/oci-images.js';
import { TestRegistry } from './support/registry.js';
import { tar } from './support/tar.js';

const missing = missingTools([...REGISTRY_TOOLS, 'runc']);
const NODE = { name: 'ia-1', address: '127.0.52.2', args: ['--oci-runtime', 'runc', '--oci-network', 'host'] };
const COUNTDOWN = join(ROOT, 'examples/wasm-apps/countdown/dist/countdown.wasm');
const HELLO = join(ROOT, 'examples/wasm-apps/hello/dist/hello.wasm');
/** Where kubectl port-forward listens (this file's own address; ports from the kernel). */
const FORWARD_ADDRESS = '127.0.58.1';
/** The echo pod's port (host network: nc listens on the node's addresses). */
const ECHO_PORT = 18458;

type PodLike = KubeObject & {
  status?: { containerStatuses?: { name?: string; ready?: boolean; containerID?: string; restartCount?: number }[] };
};

/** Host processes whose command line (arguments joined by spaces) is `cmdline`, or matches it. */
function hostPids(cmdline: string | RegExp): number[] {
  const pids: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').join(' ');
      if (typeof cmdline === 'string' ? cmd.trim() === cmdline : cmdline.test(cmd)) pids.push(Number(e));
    } catch {
      // gone
    }
  }
  return pids;
}

/** A host process's command line, arguments joined by spaces. */
function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** Live host processes whose parent is `pid`. */
function childPids(pid: number): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        // After the parenthesised command in /proc/<pid>/stat: the state, then the parent pid. A
        // zombie (state Z: ended, not yet reaped) is not a live connection.
        const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
        const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return state !== 'Z' && Number(ppid) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Sends `data` to `port` on the forwarding address, half-closes, and resolves with all it read back. */
function echoThrough(port: number, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect({ host: FORWARD_ADDRESS, port }, () => s.end(data));
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', reject);
    s.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

/** Bytes a host process has written so far (`wchar` of /proc/<pid>/io). */
function bytesWritten(pid: number): number {
  const m = /^wchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
  return Number(m?.[1] ?? NaN);
}

describe.skipIf(missing.length > 0)(
  `kubectl exec -i, cp and stream control${missing.length ? ` (skipped: missing ${missing.join(', ')})` : ''}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'edge-kubectl-ia-'));
    const cluster = new Cluster();
    let registry: TestRegistry;
    const config = (): string => join(cluster.hubDir, 'admin.kubeconfig');
    const k = (args: string[], stdin?: string): Promise<KubectlResult> => kubectl(config(), args, { stdin });
    const pod = (name: string) => cluster.client.get<PodLike>(kind('pods'), 'default', name);
    const running: ChildProcessWithoutNullStreams[] = [];
    const start = (args: string[]): ChildProcessWithoutNullStreams => {
      const p = spawn(KUBECTL, ['--kubeconfig', config(), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      running.push(p);
      return p;
    };

    beforeAll(async () => {
      requireKubectl();
      registry = await TestRegistry.start({ address: '127.0.52.1', dir: join(dir, 'registry'), users: { ci: 'x' } });
      // busybox with the applets kubectl cp runs (tar, test) on top of the shared base layer.
      const tools = await tar([
        { path: 'bin', type: 'dir' },
        ...['tar', 'test', 'wc', 'stty', 'tty', 'nc'].map((a) => ({
          path: `bin/${a}`,
          type: 'symlink' as const,
          linkname: 'busybox',
        })),
      ]);
      await registry.push(
        'edge/busybox-tools',
        '1.0',
        ociImage([await busyboxBaseLayer(), tools], { architecture: 'amd64', Cmd: ['sleep', '100000'] }),
      );
      await cluster.start([NODE]);
      const pods = [
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'box' },
          spec: {
            runtimeClassName: 'oci',
            terminationGracePeriodSeconds: 1,
            containers: [{ name: 'main', image: `${registry.host}/edge/busybox-tools:1.0` }],
          },
        },
        // For attach -i/-t: a main process reading its stdin once (as `kubectl run -i` makes it), and
        // a shell on a terminal.
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'att' },
          spec: {
            runtimeClassName: 'oci',
            restartPolicy: 'Never',
            terminationGracePeriodSeconds: 1,
            containers: [
              {
                name: 'once',
                image: `${registry.host}/edge/busybox-tools:1.0`,
                command: ['sh', '-c', 'while read -r line; do echo "got $line"; done; echo "stdin closed"; exit 3'],
                stdin: true,
                stdinOnce: true,
              },
              {
                name: 'term',
                image: `${registry.host}/edge/busybox-tools:1.0`,
                command: ['sh'],
                stdin: true,
                tty: true,
              },
            ],
          },
        },
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'echo', labels: { app: 'echo' } },
          spec: {
            runtimeClassName: 'oci',
            terminationGracePeriodSeconds: 1,
            containers: [
              {
                name: 'main',
                image: `${registry.host}/edge/busybox-tools:1.0`,
                // One `cat` per connection: what the client sends comes back, until it half-closes.
                command: ['nc', '-ll', '-p', String(ECHO_PORT), '-e', 'cat'],
                ports: [{ name: 'echo', containerPort: ECHO_PORT }],
              },
            ],
          },
        },
        // For port-forward svc/… (a named target port kubectl resolves in the pod) and deploy/….
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'echo' },
          spec: { selector: { app: 'echo' }, ports: [{ port: 9000, targetPort: 'echo' }] },
        },
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'hello-d' },
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: 'hello-d' } },
            template: {
              metadata: { labels: { app: 'hello-d' } },
              spec: {
                containers: [
                  {
                    name: 'main',
                    image: HELLO,
                    ports: [{ containerPort: 8080 }],
                    env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
                  },
                ],
              },
            },
          },
        },
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'hello' },
          spec: {
            containers: [
              {
                name: 'main',
                image: HELLO,
                ports: [{ containerPort: 8080 }],
                env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
              },
            ],
          },
        },
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'wasm' },
          spec: {
            containers: [
              {
                name: 'main',
                image: COUNTDOWN,
                env: [
                  { name: 'COUNT', value: '100000' },
                  { name: 'INTERVAL_MS', value: '500' },
                ],
              },
            ],
          },
        },
      ];
      const r = await cluster.edgectl(['apply', '-f', '-'], pods.map((p) => JSON.stringify(p)).join('\n---\n'));
      expect(r.code, r.stderr).toBe(0);
      for (const name of ['box', 'wasm', 'echo', 'hello', 'att'])
        await until(
          `pod ${name} running`,
          async () => {
            const cs = (await pod(name)).status?.containerStatuses ?? [];
            return cs.length > 0 && cs.every((c) => c.ready);
          },
          90_000,
          200,
        );
    }, 180_000);

    afterAll(async () => {
      for (const p of running) p.kill('SIGKILL');
      await stopGracefully(cluster, { runcRoots: [join(cluster.node(NODE.name).dataDir, 'runtime-oci', 'runc')] });
      await registry?.stop();
      rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    it('exec -i feeds stdin to the command and closes it at the end (echo hi | kubectl exec -i box -- cat)', async () => {
      const r = await k(['exec', '-i', 'box', '--', 'cat'], 'hi\nthere\n');
      expect(r.code, r.err).toBe(0);
      expect(r.out).toBe('hi\nthere\n');
      const wc = await k(['exec', '-i', 'box', '--', 'wc', '-c'], 'x'.repeat(300_000));
      expect(wc.out.trim()).toBe('300000');
    });

    it('gives kubectl the exit code and keeps stdout and stderr apart', async () => {
      const r = await k(['exec', '-i', 'box', '--', 'sh', '-c', 'read x; echo "got $x"; echo oops >&2; exit 7'], 'v\n');
      expect(r.code).toBe(7);
      expect(r.out).toBe('got v\n');
      expect(r.err).toContain('oops\n');
      expect(r.err).toContain('command terminated with exit code 7');
    });

    it('streams output as it comes and past the old 1 MiB cap', async () => {
      const big = await k(['exec', 'box', '--', 'dd', 'if=/dev/zero', 'bs=65536', 'count=48']);
      expect(big.code, big.err).toBe(0);
      expect(big.out.length).toBe(48 * 65536);
      const p = start(['exec', 'box', '--', 'sh', '-c', 'echo first; sleep 4242; echo never']);
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      try {
        await until('the first line before the command ends', () => out === 'first\n', 30_000, 50);
        // The shell prints before it starts sleep: the line can arrive before the process exists.
        await until('sleep 4242 running in the container', () => hostPids('sleep 4242').length === 1, 30_000, 50);
      } finally {
        // Also on failure: a kubectl left running would hold its exec open into the next test.
        p.kill('SIGKILL');
      }
      // kubectl is gone: its WebSocket closes, the hub cancels the stream, the node kills the process.
      await until('sleep 4242 gone from the container', () => hostPids('sleep 4242').length === 0, 30_000, 100);
    });

    it('a reader that stops reading stops the command: nothing buffers without bound (flow control)', async () => {
      const marker = 'count=99999';
      const p = start(['exec', 'box', '--', 'dd', 'if=/dev/zero', 'bs=65536', marker]);
      let read = 0;
      p.stdout.on('data', (d: Buffer) => (read += d.length));
      await until('output flowing', () => read > 1024 * 1024, 30_000, 20);
      // Stop reading kubectl's stdout: its pipe fills, kubectl stops reading the hub, and so on back.
      p.stdout.pause();
      // dd's host pid, from the pid file of the runc exec that runs it.
      const dd = await until(
        'the dd process',
        () => {
          const [runc] = hostPids(new RegExp(`^runc --root \\S+ exec --pid-file \\S+ \\S+ dd .*${marker}`));
          const pidFile = runc === undefined ? undefined : /--pid-file (\S+)/.exec(cmdlineOf(runc))?.[1];
          return pidFile && existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) || undefined : undefined;
        },
        10_000,
        50,
      );
      const stalled = await until(
        'dd blocked (two samples half a second apart equal)',
        async () => {
          const a = bytesWritten(dd);
          await new Promise((r) => setTimeout(r, 500));
          return bytesWritten(dd) === a ? a : undefined;
        },
        30_000,
        0,
      );
      // What dd wrote beyond what was read is what sits in pipes, socket buffers and the two credit
      // windows (256 KiB each): a few MiB, where a relay without flow control would hold gigabytes.
      expect(stalled - read).toBeLessThan(32 * 1024 * 1024);
      p.stdout.resume();
      await until('output flowing again', () => read > stalled - 1024, 30_000, 20);
      p.kill('SIGKILL');
      await until('dd gone', () => !existsSync(`/proc/${dd}`), 30_000, 100);
    });

    it('exec -it gives a real terminal: its size follows kubectl’s, resizes too, and the exit code comes back', async () => {
      // kubectl on a pty of its own (util-linux script), sized 91x33; its output is read here.
      const ttyFile = join(dir, 'outer.tty');
      const line = `tty > '${ttyFile}'; stty cols 91 rows 33; exec '${KUBECTL}' --kubeconfig '${config()}' exec -it box -- sh`;
      const p = spawn('script', ['-q', '-e', '-E', 'never', '-c', line, '/dev/null'], {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, SHELL: '/bin/sh' },
      });
      running.push(p);
      // A failure here must not leave the shell running into the next test's count of runc execs.
      onTestFailed(() => void p.kill('SIGKILL'));
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const code = new Promise<number | null>((resolve) => p.on('close', resolve));
      await until('the shell prompt', () => out.includes('/ # '), 30_000, 50).catch((err: unknown) => {
        throw new Error(`${String(err)}; kubectl printed ${JSON.stringify(out)}`);
      });
      // kubectl sends its size once connected, and on a loaded machine the shell can print its prompt
      // before the size reached the pty (`stty size` then fails): ask again until the size is there.
      // `stty size` and `tty` may come back in separate reads: wait for both.
      await until(
        'the first size and the tty',
        async () => {
          p.stdin.write('stty size; tty\r');
          await new Promise((r) => setTimeout(r, 300));
          return /33 91\r?\n/.test(out) && /\/dev\/pts\/\d+/.test(out);
        },
        30_000,
        0,
      ).catch((err: unknown) => {
        // What the terminal showed, so that a failure says why (one in a CI run, 6 of 6 passing here).
        throw new Error(`${String(err)}; kubectl printed ${JSON.stringify(out.slice(-2000))}`);
      });
      const outer = readFileSync(ttyFile, 'utf8').trim();
      spawn('stty', ['-F', outer, 'cols', '120', 'rows', '50']);
      await until(
        'the new size inside',
        async () => {
          p.stdin.write('stty size\r');
          await new Promise((r) => setTimeout(r, 200));
          return /50 120\r?\n/.test(out);
        },
        30_000,
        0,
      );
      p.stdin.write('exit 5\r');
      expect(await code).toBe(5);
    });

    it('kubectl cp copies a file into the container and back, byte for byte', async () => {
      const local = join(dir, 'blob.bin');
      const data = randomBytes(2 * 1024 * 1024 + 17);
      writeFileSync(local, data);
      const up = await k(['cp', local, 'box:/tmp/blob.bin']);
      expect(up.code, up.err).toBe(0);
      const size = await k(['exec', 'box', '--', 'wc', '-c', '/tmp/blob.bin']);
      expect(size.out.trim()).toBe(`${data.length} /tmp/blob.bin`);
      const back = join(dir, 'back.bin');
      const down = await k(['cp', 'box:/tmp/blob.bin', back]);
      expect(down.code, down.err).toBe(0);
      expect(readFileSync(back).equals(data)).toBe(true);
    });

    /** Starts `kubectl port-forward` on the forwarding address; resolves with the local port once it listens. */
    const forward = async (
      target: string,
      remote: number,
      env: Record<string, string> = {},
      /** The pod's port kubectl reports (a Service's port is translated to it). */
      podPort = remote,
    ): Promise<{ p: ChildProcessWithoutNullStreams; port: number; err: () => string }> => {
      const p = spawn(
        KUBECTL,
        ['--kubeconfig', config(), 'port-forward', '--address', FORWARD_ADDRESS, target, `0:${remote}`],
        { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } },
      );
      running.push(p);
      let out = '';
      let err = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const port = await until(
        'kubectl port-forward listening',
        () => {
          const m = new RegExp(`Forwarding from ${FORWARD_ADDRESS.replace(/\./g, '\\.')}:(\\d+) -> ${podPort}`).exec(
            out,
          );
          if (!m && p.exitCode !== null) throw new Error(`kubectl port-forward exited: ${err}`);
          return m ? Number(m[1]) : undefined;
        },
        30_000,
        50,
      );
      return { p, port, err: () => err };
    };
    const exited = (p: ChildProcessWithoutNullStreams): Promise<number | null> =>
      p.exitCode !== null ? Promise.resolve(p.exitCode) : new Promise((resolve) => p.once('close', resolve));

    it('port-forward (SPDY in a WebSocket) carries MiBs both ways on two connections at once, byte for byte', async () => {
      const { p, port } = await forward('pod/echo', ECHO_PORT);
      const a = randomBytes(3 * 1024 * 1024 + 5);
      const b = randomBytes(2 * 1024 * 1024 + 11);
      const [ra, rb] = await Promise.all([echoThrough(port, a), echoThrough(port, b)]);
      expect(ra.length).toBe(a.length);
      expect(sha256(ra)).toBe(sha256(a));
      expect(sha256(rb)).toBe(sha256(b));
      p.kill('SIGINT');
      expect(await exited(p)).toBe(0);
    });

    it('port-forward falls back to plain SPDY/3.1 (KUBECTL_PORT_FORWARD_WEBSOCKETS=false) and works the same', async () => {
      const { p, port } = await forward('pod/echo', ECHO_PORT, { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' });
      const data = randomBytes(1024 * 1024 + 3);
      const back = await echoThrough(port, data);
      expect(sha256(back)).toBe(sha256(data));
      p.kill('SIGINT');
      expect(await exited(p)).toBe(0);
    });

    it('port-forward to a Wasm pod: HTTP served in-process on the node, two requests on one connection', async () => {
      const { p, port } = await forward('pod/hello', 8080);
      const answers = await new Promise<string>((resolve, reject) => {
        let got = '';
        const s = connect({ host: FORWARD_ADDRESS, port }, () => {
          const req = `GET / HTTP/1.1\r\nHost: hello\r\n\r\n`;
          s.write(req + req.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'));
        });
        s.on('data', (d: Buffer) => (got += d.toString()));
        s.on('error', reject);
        s.on('close', () => resolve(got));
      });
      expect(answers.match(/HTTP\/1\.1 200/g)?.length).toBe(2);
      expect(answers).toContain('hello from Edgeplane');
      expect(answers).toContain('"pod":"hello"');
      p.kill('SIGINT');
      expect(await exited(p)).toBe(0);
    });

    it('port-forward svc/NAME and deploy/NAME: kubectl finds the pod and its port from what the hub serves', async () => {
      // svc/echo port 9000 → targetPort "echo" → the echo pod's containerPort, resolved by kubectl.
      const svc = await forward('svc/echo', 9000, {}, ECHO_PORT);
      const data = randomBytes(256 * 1024 + 1);
      expect(sha256(await echoThrough(svc.port, data))).toBe(sha256(data));
      svc.p.kill('SIGINT');
      expect(await exited(svc.p)).toBe(0);
      // deploy/hello-d: kubectl lists pods by the Deployment's selector and needs one Running.
      await until(
        'the hello-d pod running',
        async () => {
          const pods = await cluster.client.list<PodLike & { status?: { phase?: string } }>(kind('pods'), {
            namespace: 'default',
            labelSelector: 'app=hello-d',
          });
          return pods.items.some((p) => p.status?.phase === 'Running');
        },
        60_000,
        200,
      );
      const dep = await forward('deploy/hello-d', 8080);
      const answer = await new Promise<string>((resolve, reject) => {
        let got = '';
        const s = connect({ host: FORWARD_ADDRESS, port: dep.port }, () =>
          s.write('GET / HTTP/1.1\r\nHost: hello\r\nConnection: close\r\n\r\n'),
        );
        s.on('data', (d: Buffer) => (got += d.toString()));
        s.on('error', reject);
        s.on('close', () => resolve(got));
      });
      expect(answer).toMatch(/^HTTP\/1\.1 200/);
      expect(answer).toMatch(/"pod":"hello-d-[a-z0-9]+-[a-z0-9]+"/);
      dep.p.kill('SIGINT');
      expect(await exited(dep.p)).toBe(0);
    });

    it('a refused port is reported by kubectl as the kubelet words it', async () => {
      const { p, port, err } = await forward('pod/echo', ECHO_PORT + 1);
      const back = await echoThrough(port, Buffer.from('anyone?'));
      expect(back.length).toBe(0);
      // kubectl prints the error stream's text and, as since 1.29, gives up on the whole forward.
      await until('the error printed', () => err().includes('error forwarding port'), 30_000, 50);
      expect(err()).toMatch(
        new RegExp(`error forwarding port ${ECHO_PORT + 1} to pod echo_default, uid [0-9a-f-]+: .*ECONNREFUSED`),
      );
      await exited(p);
    });

    it('kubectl killed mid-connection: the connection to the pod is closed on the node', async () => {
      const [nc] = hostPids(`nc -ll -p ${ECHO_PORT} -e cat`);
      expect(nc).toBeDefined();
      const before = childPids(nc!).length;
      const { p, port } = await forward('pod/echo', ECHO_PORT);
      const s = connect({ host: FORWARD_ADDRESS, port });
      s.on('error', () => undefined);
      let echoed = '';
      s.on('data', (d: Buffer) => (echoed += d.toString()));
      s.write('ping\n');
      await until('the echo', () => echoed === 'ping\n', 30_000, 20);
      expect(childPids(nc!).length).toBe(before + 1);
      p.kill('SIGKILL');
      // The WebSocket goes with kubectl: the hub cancels the stream, the node closes the pod's connection, cat ends.
      await until('the connection gone in the pod', () => childPids(nc!).length === before, 30_000, 100);
      s.destroy();
    });

    it('attach -i to a container without stdin: true is refused with a 400 saying why', async () => {
      const r = await k(['attach', '-i', 'box'], 'hi\n');
      expect(r.code).not.toBe(0);
      expect(r.err).toContain('container main of pod box was not started with stdin: true');
    });

    it('attach -it joins a shell on its terminal: sized like kubectl’s, resized, and detaching leaves it running, also across an agent killed -9 and started again', async () => {
      const ttyFile = join(dir, 'attach.tty');
      const attach = (cols: number, rows: number): { p: ChildProcessWithoutNullStreams; out: () => string } => {
        const line = `tty > '${ttyFile}'; stty cols ${cols} rows ${rows}; exec '${KUBECTL}' --kubeconfig '${config()}' attach -it att -c term`;
        const p = spawn('script', ['-q', '-e', '-E', 'never', '-c', line, '/dev/null'], {
          stdio: ['pipe', 'pipe', 'pipe'],
          env: { ...process.env, SHELL: '/bin/sh' },
        });
        running.push(p);
        onTestFailed(() => void p.kill('SIGKILL'));
        let out = '';
        p.stdout.on('data', (d: Buffer) => (out += d.toString()));
        return { p, out: () => out };
      };
      // A command whose answer is unique to this call: the terminal echoes what is typed, so the
      // answer is told apart from the echo by a marker the shell computes.
      const ask = async (a: { p: ChildProcessWithoutNullStreams; out: () => string }, cmd: string, want: RegExp) =>
        until(
          `${cmd} answering ${String(want)}`,
          async () => {
            a.p.stdin.write(`${cmd}\r`);
            await new Promise((r) => setTimeout(r, 300));
            return want.test(a.out());
          },
          30_000,
          0,
        ).catch((err: unknown) => {
          throw new Error(`${String(err)}; kubectl printed ${JSON.stringify(a.out())}`);
        });
      const first = attach(91, 33);
      await ask(first, 'echo A$((40+2))A; stty size; tty', /A42A\r?\n33 91\r?\n\/dev\/pts\/\d+/);
      spawn('stty', ['-F', readFileSync(ttyFile, 'utf8').trim(), 'cols', '120', 'rows', '50']);
      await ask(first, 'stty size', /50 120\r?\n/);
      await ask(first, 'X=kept-$((6*7))', /X=kept-/);
      // Detach by ending kubectl: the shell runs on, and a second attach finds its variable.
      first.p.kill('SIGKILL');
      await exited(first.p);
      const termId = (await pod('att')).status?.containerStatuses?.find((c) => c.name === 'term')?.containerID;
      // The agent is killed -9 and started again (issue 20): the shell, its stdin and its terminal
      // are the shim's, so the next agent adopts them and the next attach types into the same shell.
      await cluster.node(NODE.name).proc.kill('SIGKILL');
      await cluster.startNode(NODE);
      // Connected again (a Node stays Ready through its grace period, so that says nothing here).
      await until('the restarted agent serving exec', async () => (await k(['exec', 'att', '-c', 'term', '--', 'true'])).code === 0, 30_000, 200); // prettier-ignore
      const second = attach(80, 24);
      await ask(second, 'echo "[$X]"; stty size', /\[kept-42\]\r?\n24 80\r?\n/);
      second.p.kill('SIGKILL');
      await exited(second.p);
      await until('the att pod Ready again', async () => {
        const st = (await pod('att')).status?.containerStatuses;
        return st?.every((c) => c.ready) === true ? st : undefined;
      });
      const after = (await pod('att')).status?.containerStatuses?.find((c) => c.name === 'term');
      expect(after?.containerID).toBe(termId);
      expect(after?.restartCount).toBe(0);
    });

    it('attach -i to a stdinOnce container feeds its stdin, closes it at kubectl’s end, and returns its exit code', async () => {
      // The container has read nothing yet; its output before this attach is not replayed.
      const r = await k(['attach', '-i', 'att', '-c', 'once'], 'hello\nworld\n');
      expect(r.out).toBe('got hello\ngot world\nstdin closed\n');
      expect(r.code, r.err).toBe(3);
    });

    it('kubectl run -i --rm: the pod is made with stdin, attached to, its exit code returned, and deleted', async () => {
      const image = `${registry.host}/edge/busybox-tools:1.0`;
      const args = ['run', 'rr', '-i', '--rm', '--restart=Never', `--image=${image}`, '--', 'sh', '-c'];
      const r = await k([...args, 'read -r l; echo "got $l"; exit 4'], 'ping\n');
      expect(r.out, r.err).toContain('got ping\n');
      expect(r.code, r.err).toBe(4);
      await until(
        'pod rr deleted',
        async () => (await k(['get', 'pod', 'rr', '-o', 'name'])).err.includes('NotFound'),
        30_000,
        200,
      );
    });

    it('attach -i and -t to a Wasm container are refused with a 400 saying why', async () => {
      const r = await k(['attach', '-i', 'wasm'], 'hi\n');
      expect(r.code).not.toBe(0);
      expect(r.err).toContain('pod wasm runs Wasm, whose container has no stdin or terminal to attach to');
    });

    it('the attach pod goes (its containers with it)', async () => {
      const r = await k(['delete', 'pod', 'att', '--wait=true']);
      expect(r.code, r.err).toBe(0);
    });

    it('apply --dry-run=server: kubectl prints the server dry run, and nothing is stored', async () => {
      const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry' }, data: { a: '1' } };
      const r = await k(['apply', '--dry-run=server', '-f', '-'], JSON.stringify(cm));
      expect(r.code, r.err).toBe(0);
      expect(r.out).toBe('configmap/dry created (server dry run)\n');
      const g = await k(['get', 'configmap', 'dry', '-o', 'name']);
      expect(g.code).not.toBe(0);
      expect(g.err).toContain('NotFound');
    });

    it('no stray runc exec processes are left behind', async () => {
      await until(
        'only the pod containers (box, echo) in runc',
        () => {
          const cs = runcContainers(join(cluster.node(NODE.name).dataDir, 'runtime-oci', 'runc'));
          return cs.length === 2 && hostPids(/^runc --root \S+ exec /).length === 0;
        },
        30_000,
        100,
      );
    });

    it('a Wasm pod: exec without -i works; -i gives the command its stdin (WASI stdin); -t and cp are refused saying why', async () => {
      const plain = await k(['exec', 'wasm', '--', 'countdown', '2']);
      expect(plain.code, plain.err).toBe(0);
      expect(plain.out).toBe('countdown: 2\ncountdown: 1\n');
      // `countdown cat` copies wasi:cli/stdin to stdout: kubectl's stdin, read whole on the node.
      const input = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'é'.repeat(i % 7)}\n`).join('');
      const stdin = await k(['exec', '-i', 'wasm', '--', 'countdown', 'cat'], input);
      expect(stdin.code, stdin.err).toBe(0);
      expect(stdin.out).toBe(input);
      expect(stdin.err).toContain(`countdown: copied ${Buffer.byteLength(input)} bytes`);
      // -t (kubectl on a pty of its own, or it drops -t itself): a 400 naming why, before any upgrade.
      const line = `exec '${KUBECTL}' --kubeconfig '${config()}' exec -it wasm -- countdown cat`;
      const tty = spawn('script', ['-q', '-e', '-E', 'never', '-c', line, '/dev/null'], { stdio: 'pipe' });
      running.push(tty);
      let said = '';
      tty.stdout.on('data', (d: Buffer) => (said += d.toString()));
      expect(await exited(tty)).not.toBe(0);
      expect(said).toContain('pod wasm runs Wasm, whose commands have no terminal (-t)');
      const local = join(dir, 'small.txt');
      writeFileSync(local, 'small\n');
      const cp = await k(['cp', local, 'wasm:/tmp/small.txt']);
      expect(cp.code).not.toBe(0);
      expect(cp.err).toContain('a Wasm container has no tar');
    });

    /**
     * edgectl's own port-forward and exec -i/-it against the same pods, each compared with the
     * real kubectl above where the output is comparable. Listeners on 127.0.78.1.
     */
    describe('edgectl port-forward and exec -i/-it (as kubectl)', () => {
      const EDGECTL = join(ROOT, 'bin', 'edgectl.js');
      const MY_ADDRESS = '127.0.78.1';
      const edgectlEnv = (): NodeJS.ProcessEnv => ({
        ...process.env,
        EDGE_SERVER: cluster.url,
        EDGE_TOKEN: cluster.adminToken,
        EDGE_CA_FILE: cluster.caFile,
        EDGE_CONFIG: join(dir, 'edgectl-config'),
        NO_COLOR: '1',
      });
      /** Starts a long-running command, collecting what it prints. */
      const launch = (bin: string, args: string[]) => {
        const p =
          bin === EDGECTL
            ? spawn(process.execPath, [EDGECTL, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: edgectlEnv() })
            : spawn(KUBECTL, ['--kubeconfig', config(), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
        running.push(p);
        const seen = { out: '', err: '' };
        p.stdout.on('data', (d: Buffer) => (seen.out += d.toString()));
        p.stderr.on('data', (d: Buffer) => (seen.err += d.toString()));
        return { p, seen };
      };
      /** The local ports a forwarder reported, once it reported `count` of them. */
      const forwardingLines = (
        { p, seen }: { p: ChildProcessWithoutNullStreams; seen: { out: string; err: string } },
        count: number,
      ) =>
        until(
          `${count} "Forwarding from" lines`,
          () => {
            if (p.exitCode !== null) throw new Error(`edgectl exited ${p.exitCode}: ${seen.err}`);
            const lines = [...seen.out.matchAll(/^Forwarding from (\S+):(\d+) -> (\d+)$/gm)];
            return lines.length >= count
              ? lines.map((m) => ({ host: m[1]!, local: Number(m[2]), remote: Number(m[3]) }))
              : undefined;
          },
          30_000,
          50,
        ).catch((err: unknown) => {
          throw new Error(`${String(err)}; edgectl printed ${JSON.stringify(seen)}`);
        });
      const echoAt = (port: number, data: Buffer): Promise<Buffer> =>
        new Promise((resolve, reject) => {
          const chunks: Buffer[] = [];
          const s = connect({ host: MY_ADDRESS, port }, () => s.end(data));
          s.on('data', (d: Buffer) => chunks.push(d));
          s.on('error', reject);
          s.on('close', () => resolve(Buffer.concat(chunks)));
        });

      it('port-forward: several ports (a number and a named port), kubectl’s lines, bytes both ways, Ctrl-C ends it', async () => {
        const fw = launch(EDGECTL, ['port-forward', '--address', MY_ADDRESS, 'pod/echo', `:${ECHO_PORT}`, '0:echo']);
        const { p, seen } = fw;
        const lines = await forwardingLines(fw, 2);
        expect(lines.map((l) => [l.host, l.remote])).toEqual([
          [MY_ADDRESS, ECHO_PORT],
          [MY_ADDRESS, ECHO_PORT],
        ]);
        const a = randomBytes(2 * 1024 * 1024 + 7);
        const b = randomBytes(512 * 1024 + 3);
        const [ra, rb] = await Promise.all([echoAt(lines[0]!.local, a), echoAt(lines[1]!.local, b)]);
        expect(sha256(ra)).toBe(sha256(a));
        expect(sha256(rb)).toBe(sha256(b));
        await until(
          'the handling lines',
          () => seen.out.includes(`Handling connection for ${lines[1]!.local}\n`),
          30_000,
          50,
        );
        expect(seen.out).toContain(`Handling connection for ${lines[0]!.local}\n`);
        p.kill('SIGINT');
        expect(await exited(p)).toBe(0);
        expect(seen.err).toBe('');
      });

      it('port-forward svc/NAME (its targetPort in the pod) and deploy/NAME, as kubectl resolves them', async () => {
        const svc = launch(EDGECTL, ['port-forward', '--address', MY_ADDRESS, 'svc/echo', '0:9000']);
        const [line] = await forwardingLines(svc, 1);
        // The same translation kubectl printed in the test above: service port 9000 → the pod's named port.
        expect(line!.remote).toBe(ECHO_PORT);
        const data = randomBytes(100_001);
        expect(sha256(await echoAt(line!.local, data))).toBe(sha256(data));
        svc.p.kill('SIGINT');
        expect(await exited(svc.p)).toBe(0);
        const dep = launch(EDGECTL, ['port-forward', '--address', MY_ADDRESS, 'deploy/hello-d', '0:8080']);
        const [d] = await forwardingLines(dep, 1);
        const answer = await new Promise<string>((resolve, reject) => {
          let got = '';
          const s = connect({ host: MY_ADDRESS, port: d!.local }, () =>
            s.write('GET / HTTP/1.1\r\nHost: hello\r\nConnection: close\r\n\r\n'),
          );
          s.on('data', (x: Buffer) => (got += x.toString()));
          s.on('error', reject);
          s.on('close', () => resolve(got));
        });
        expect(answer).toMatch(/^HTTP\/1\.1 200/);
        expect(answer).toMatch(/"pod":"hello-d-[a-z0-9]+-[a-z0-9]+"/);
        dep.p.kill('SIGINT');
        expect(await exited(dep.p)).toBe(0);
      });

      it('port-forward errors are kubectl’s: unknown named port, undeclared service port (same text, same code)', async () => {
        for (const args of [
          ['port-forward', 'pod/echo', '0:nope'],
          ['port-forward', 'svc/echo', '0:9999'],
          ['port-forward', 'svc/echo', '0:nope'],
        ]) {
          const [mine, theirs] = await Promise.all([cluster.edgectl(args), k(args)]);
          expect(mine.stderr, args.join(' ')).toBe(theirs.err);
          expect(mine.code, args.join(' ')).toBe(theirs.code);
        }
      });

      it('a refused pod port ends the forward as kubectl does: the kubelet’s reason, then "lost connection to pod", exit 1', async () => {
        const fw = launch(EDGECTL, ['port-forward', '--address', MY_ADDRESS, 'pod/echo', `0:${ECHO_PORT + 1}`]);
        const { p, seen } = fw;
        const [line] = await forwardingLines(fw, 1);
        expect((await echoAt(line!.local, Buffer.from('anyone?'))).length).toBe(0);
        expect(await exited(p)).toBe(1);
        expect(seen.err).toMatch(
          new RegExp(
            `^an error occurred forwarding ${line!.local} -> ${ECHO_PORT + 1}: error forwarding port ${ECHO_PORT + 1} to pod echo_default, uid [0-9a-f-]+: .*ECONNREFUSED.*\nerror: lost connection to pod\n$`,
          ),
        );
      });

      it('exec -i streams stdin and gives back stdout, stderr and the exit code exactly as kubectl', async () => {
        const script = 'read x; echo "got $x"; echo oops >&2; exit 7';
        const [mine, theirs] = await Promise.all([
          cluster.edgectl(['exec', '-i', 'box', '--', 'sh', '-c', script], 'v\n'),
          k(['exec', '-i', 'box', '--', 'sh', '-c', script], 'v\n'),
        ]);
        expect([mine.code, mine.stdout, mine.stderr]).toEqual([theirs.code, theirs.out, theirs.err]);
        expect(mine.code).toBe(7);
        const wc = await cluster.edgectl(['exec', '-i', 'box', '--', 'wc', '-c'], 'x'.repeat(300_000));
        expect([wc.code, wc.stdout.trim()]).toEqual([0, '300000']);
        // A Wasm pod reads -i whole (WASI stdin), as with kubectl.
        const cat = await cluster.edgectl(['exec', '-i', 'wasm', '--', 'countdown', 'cat'], 'a\nb\n');
        expect([cat.code, cat.stdout]).toEqual([0, 'a\nb\n']);
        // -t without a terminal: kubectl's warning, then the same exec without one.
        const noTty = await cluster.edgectl(['exec', '-it', 'box', '--', 'cat'], 'plain\n');
        expect([noTty.code, noTty.stdout]).toEqual([0, 'plain\n']);
        expect(noTty.stderr).toBe('Unable to use a TTY - input is not a terminal or the right kind of file\n');
      });

      it('exec -it: a raw terminal whose size follows the local one, the exit code back, the terminal restored', async () => {
        const ttyFile = join(dir, 'edgectl-outer.tty');
        const before = join(dir, 'stty-before');
        const after = join(dir, 'stty-after');
        const line =
          `tty > '${ttyFile}'; stty cols 91 rows 33; stty -g > '${before}'; ` +
          `'${process.execPath}' '${EDGECTL}' exec -it box -- sh; rc=$?; stty -g > '${after}'; exit $rc`;
        const p = spawn('script', ['-q', '-e', '-E', 'never', '-c', line, '/dev/null'], {
          stdio: ['pipe', 'pipe', 'pipe'],
          env: { ...edgectlEnv(), SHELL: '/bin/sh' },
        });
        running.push(p);
        onTestFailed(() => void p.kill('SIGKILL'));
        let out = '';
        p.stdout.on('data', (d: Buffer) => (out += d.toString()));
        const code = new Promise<number | null>((resolve) => p.on('close', resolve));
        await until('the shell prompt', () => out.includes('/ # '), 30_000, 50).catch((err: unknown) => {
          throw new Error(`${String(err)}; edgectl printed ${JSON.stringify(out)}`);
        });
        // As for kubectl above: the size may reach the pty after the first prompt; ask until it has.
        await until(
          'the first size and the tty',
          async () => {
            p.stdin.write('stty size; tty\r');
            await new Promise((r) => setTimeout(r, 300));
            return /33 91\r?\n/.test(out) && /\/dev\/pts\/\d+/.test(out);
          },
          30_000,
          0,
        ).catch((err: unknown) => {
          throw new Error(`${String(err)}; edgectl printed ${JSON.stringify(out)}`);
        });
        // Ctrl-C goes to the remote shell (raw mode): it interrupts the sleep, edgectl stays.
        p.stdin.write('sleep 4244\r');
        await until('the sleep running', () => hostPids('sleep 4244').length === 1, 20_000, 50).catch(
          (err: unknown) => {
            throw new Error(`${String(err)}; edgectl printed ${JSON.stringify(out)}`);
          },
        );
        p.stdin.write('\x03');
        await until('the sleep interrupted', () => hostPids('sleep 4244').length === 0, 20_000, 50);
        const outer = readFileSync(ttyFile, 'utf8').trim();
        spawn('stty', ['-F', outer, 'cols', '120', 'rows', '50']);
        await until(
          'the new size inside',
          async () => {
            p.stdin.write('stty size\r');
            await new Promise((r) => setTimeout(r, 200));
            return /50 120\r?\n/.test(out);
          },
          30_000,
          0,
        );
        p.stdin.write('exit 5\r');
        expect(await code, out).toBe(5);
        expect(out).toContain('command terminated with exit code 5');
        expect(readFileSync(after, 'utf8')).toBe(readFileSync(before, 'utf8'));
      }, 120_000);
    });
  },
);
