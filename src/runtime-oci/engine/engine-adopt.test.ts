/**
 * Engine API containers outlive the agent (issue 20), against real daemons: `podman system service`
 * and `dockerd`, each on a socket, storage and bridge of its own, pulling busybox from a real
 * registry behind token auth. A runtime that exits with `keepContainersOnExit` leaves a writing
 * container running; a new runtime takes it back by its labels (same container id, restart count,
 * spec hash, pod address and pid) and its log goes on where it stopped: every line once, in order,
 * none lost. An exit while no runtime ran is reported on adoption with its code and last output; a
 * container with stdin is kept with its stdin (the next runtime's attach writes to it), one on a
 * terminal is not, and `sweep` removes it with the old agent's unlabelled leftovers.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerConfig, PulledImage } from '../../api/index.js';
import { RegistryCredentials } from '../../distribution/index.js';
import { silentLogger } from '../../platform/index.js';
import { OciRuntime } from '../oci-runtime.js';
import { EngineAdapter } from './engine-adapter.js';
import { until } from '../../../test/support/cluster.js';
import { REGISTRY_TOOLS, containerPid, engineContainers, missingTools } from '../../../test/support/oci-cluster.js';
import { EngineRig } from '../../../test/support/engine-rig.js';

const missing = missingTools([...REGISTRY_TOOLS, 'podman', 'dockerd', 'containerd', 'runc', 'ip']);
// A numbered line every 20 ms, its number also in /out/count (read from the host).
const COUNTER = 'i=0; while :; do i=$((i+1)); echo line$i; echo $i > /out/count; sleep 0.02; done';
const NODE = 'adopt-unit';

/** The numbers of the `lineN` lines of a CRI log, in file order. */
function numbers(logPath: string): number[] {
  return readFileSync(logPath, 'utf8')
    .split('\n')
    .map((l) => /^\S+ stdout F line([0-9]+)$/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number);
}

/** Creates a container as an agent before adoption did: labelled with the node only. */
async function oldAgentContainer(socket: string, node: string, image: string): Promise<void> {
  const dispatcher = new Agent({ connect: { socketPath: socket } });
  try {
    const r = await request('http://localhost/v1.41/containers/create', {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Image: image, Cmd: ['sleep', '600'], Labels: { 'io.edgeplane.node': node } }),
    });
    const { Id } = (await r.body.json()) as { Id: string };
    const s = await request(`http://localhost/v1.41/containers/${Id}/start`, { method: 'POST', dispatcher });
    await s.body.dump();
    expect(s.statusCode).toBe(204);
  } finally {
    await dispatcher.close();
  }
}

describe.skipIf(missing.length > 0 || process.getuid?.() !== 0)(
  `Engine API adoption (podman, dockerd)${missing.length ? ` (skipped: missing ${missing.join(', ')})` : ''}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'ea-'));
    let rig: EngineRig;
    let credentials: RegistryCredentials;

    beforeAll(async () => {
      rig = await EngineRig.start({
        dir,
        registryAddress: '127.0.144.10',
        podman: { bridge: 'ea-p', subnet: '10.215.144.0/24' },
        docker: { bridge: 'ea-d', subnet: '10.215.145.0/24' },
      });
      credentials = await RegistryCredentials.load(rig.auth);
    }, 180_000);

    afterAll(async () => {
      await rig?.stop();
      rmSync(dir, { recursive: true, force: true });
    }, 90_000);

    const engines = [
      { flavor: 'podman' as const, socket: () => rig.podman.socketPath },
      { flavor: 'docker' as const, socket: () => rig.docker.socketPath },
    ];

    const runtimeOn = async (e: (typeof engines)[number], keep: boolean): Promise<OciRuntime> =>
      OciRuntime.create({
        adapter: await EngineAdapter.create({
          socketPath: e.socket(),
          flavor: e.flavor,
          nodeName: `${NODE}-${e.flavor}`,
          nodeAddress: '127.0.144.1',
          credentials,
          logger: silentLogger(),
        }),
        platform: { os: 'linux', architecture: 'amd64' },
        logger: silentLogger(),
        keepContainersOnExit: keep,
      });

    const config = (
      e: string,
      name: string,
      image: PulledImage,
      command: string,
      extra: Partial<ContainerConfig> = {},
    ) =>
      ({
        id: `${e}-${name}-${process.pid}`,
        pod: { namespace: 'default', name, uid: `uid-${e}-${name}` },
        name: 'c',
        image,
        command: ['sh', '-c', command],
        args: [],
        env: {},
        ports: [],
        limits: {},
        logPath: join(dir, 'logs', e, name, '0.log'),
        adoption: { specHash: `hash-${name}`, restartCount: 2 },
        ...extra,
      }) satisfies ContainerConfig;

    for (const e of engines) {
      it(`${e.flavor}: a kept container is taken back with its id, restart count, address and pid; its log goes on with no line lost or repeated`, async () => {
        const a = await runtimeOn(e, true);
        const image = await a.pullImage(rig.image);
        const out = join(dir, `out-${e.flavor}`);
        mkdirSync(out);
        const cfg = config(e.flavor, 'counter', image, COUNTER, {
          mounts: [{ volume: 'out', hostPath: out, containerPath: '/out', readOnly: false }],
        });
        const count = (): number => Number(readFileSync(join(out, 'count'), 'utf8').trim() || 0);
        await a.createContainer(cfg);
        await a.startContainer(cfg.id);
        await until('lines logged', () => numbers(cfg.logPath).length >= 10, 20_000, 50);
        const ip = a.network().podIP(cfg.id);
        expect(ip).toMatch(/^10\.215\.14[45]\./);
        const [before] = await engineContainers(e.socket(), `io.edgeplane.pod.uid=${cfg.pod.uid}`);
        const pid = await containerPid({ socket: e.socket() }, cfg.pod.uid);
        expect(pid).toBeGreaterThan(0);
        await a.close(); // --oci-on-exit keep: the container runs on, its output waits in the daemon
        const logged = numbers(cfg.logPath).length;
        const at = count();
        await until('25 lines written while no runtime reads', () => count() >= at + 25, 20_000, 20);
        expect(numbers(cfg.logPath).length).toBe(logged);

        const b = await runtimeOn(e, false);
        try {
          const found = b.adopt(cfg.pod.uid, 'c');
          expect(found).toMatchObject({ id: cfg.id, specHash: 'hash-counter', restartCount: 2 });
          expect(b.containerStatus(cfg.id)?.state).toBe('running');
          expect(b.network().podIP(cfg.id)).toBe(ip);
          const [after] = await engineContainers(e.socket(), `io.edgeplane.pod.uid=${cfg.pod.uid}`);
          expect(after?.Id).toBe(before?.Id);
          expect(await containerPid({ socket: e.socket() }, cfg.pod.uid)).toBe(pid);
          await until('lines logged after adoption', () => numbers(cfg.logPath).length >= logged + 40, 20_000, 50);
          const exited = new Promise((resolve) => b.subscribe((ev) => ev.status.id === cfg.id && resolve(ev)));
          await b.stopContainer(cfg.id, 0);
          await exited;
          const all = numbers(cfg.logPath);
          console.log(`[engine adopt ${e.flavor}] ${logged} lines before, ${all.length} in all`);
          expect(all).toEqual(all.map((_, i) => i + 1)); // line1, line2, … each once
          expect(b.containerStatus(cfg.id)).toMatchObject({ state: 'exited', exitCode: 137 });
          await b.removeContainer(cfg.id);
        } finally {
          await b.close();
        }
      }, 90_000);

      it(`${e.flavor}: an exit while no runtime ran is reported on adoption, with its last output; a stdin container is kept with its stdin, a terminal one is not, and an older agent's is removed`, async () => {
        const a = await runtimeOn(e, true);
        const image = await a.pullImage(rig.image);
        // Ends once the test lets it (a file in a mounted folder), after the runtime has exited.
        const gate = join(dir, `gate-${e.flavor}`);
        mkdirSync(gate);
        const once = config(
          e.flavor,
          'once',
          image,
          'echo first; while [ ! -e /gate/go ]; do sleep 0.05; done; echo last; exit 3',
          { mounts: [{ volume: 'gate', hostPath: gate, containerPath: '/gate', readOnly: true }] },
        );
        const interactive = config(e.flavor, 'stdin', image, 'cat', { stdin: { once: false } });
        const terminal = config(e.flavor, 'tty', image, 'cat', { stdin: { once: false }, tty: true });
        for (const c of [once, interactive, terminal]) {
          await a.createContainer(c);
          await a.startContainer(c.id);
        }
        await until('first logged', () => readFileSync(once.logPath, 'utf8').includes('first'), 20_000, 50);
        // Keeps `once` and `interactive` (the daemon holds its stdin: `cat` reads no end); `terminal` goes.
        await a.close();
        const sock = e.socket();
        await oldAgentContainer(sock, `${NODE}-${e.flavor}`, image.digest);
        writeFileSync(join(gate, 'go'), '');
        const mine = (label: string) => engineContainers(sock, label);
        expect(await mine(`io.edgeplane.pod.uid=${terminal.pod.uid}`)).toEqual([]);
        expect((await mine(`io.edgeplane.pod.uid=${interactive.pod.uid}`))[0]?.State).toBe('running');
        await until(
          'the container exited in the daemon',
          async () => (await mine(`io.edgeplane.pod.uid=${once.pod.uid}`))[0]?.State === 'exited',
          20_000,
          100,
        );

        const b = await runtimeOn(e, false);
        try {
          expect(b.adopt(once.pod.uid, 'c')).toMatchObject({ id: once.id, restartCount: 2 });
          expect(b.containerStatus(once.id)).toMatchObject({ state: 'exited', exitCode: 3, reason: 'Error' });
          const lines = readFileSync(once.logPath, 'utf8').trim().split('\n');
          expect(lines.map((l) => l.split(' ').slice(1).join(' '))).toEqual(['stdout F first', 'stdout F last']);
          await b.removeContainer(once.id);
          // The stdin container, taken back: an attach of the new runtime writes to the same stdin.
          expect(b.adopt(interactive.pod.uid, 'c')).toMatchObject({ id: interactive.id, restartCount: 2 });
          expect(b.containerStatus(interactive.id)).toMatchObject({ state: 'running' });
          const typed = await b.attach(interactive.id, { stdin: true, tty: false });
          typed.stdin!.write('after the adoption\n');
          await until('stdin echoed after the adoption', () => readFileSync(interactive.logPath, 'utf8').includes('after the adoption'), 20_000, 50); // prettier-ignore
          typed.kill();
          await b.removeContainer(interactive.id);
        } finally {
          await b.close();
        }
        expect(await mine(`io.edgeplane.node=${NODE}-${e.flavor}`)).toEqual([]);
      }, 90_000);
    }
  },
);
