/**
 * Helpers of the OCI end-to-end tests: which system tools are missing (a test skips, naming them,
 * only then — `.ci/run` installs them all), reaching a container's process from the host (to kill
 * it as a crash would), and the inventory of everything a node's containers could leave behind.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import type { Cluster } from './cluster.js';
import { haveCommand } from './oci-daemons.js';
import { haveStaticBusybox } from './oci-images.js';

/** Tools missing among `tools` (`busybox-static` means a statically linked busybox). */
export function missingTools(tools: readonly string[]): string[] {
  return tools.filter((t) => (t === 'busybox-static' ? !haveStaticBusybox() : !haveCommand(t)));
}

/** Tools every OCI test needs: the registry, the token server's certificate, the image's binary. */
export const REGISTRY_TOOLS = ['docker-registry', 'openssl', 'busybox-static'] as const;

/** runc's view of a node's containers (`runc list`). */
export function runcContainers(runcRoot: string): Array<{ id: string; pid: number; status: string }> {
  if (!existsSync(runcRoot)) return [];
  const out = execFileSync('runc', ['--root', runcRoot, 'list', '-f', 'json'], { encoding: 'utf8' }).trim();
  return out === '' || out === 'null' ? [] : (JSON.parse(out) as Array<{ id: string; pid: number; status: string }>);
}

/** GETs an Engine API path on `socket`. */
export async function engineGet<T>(socket: string, path: string): Promise<T> {
  const dispatcher = new Agent({ connect: { socketPath: socket } });
  try {
    const r = await request(`http://localhost/v1.41${path}`, { dispatcher });
    return (await r.body.json()) as T;
  } finally {
    await dispatcher.close();
  }
}

/** A daemon's containers carrying `label` (`key=value`), all states. */
export async function engineContainers(
  socket: string,
  label: string,
): Promise<Array<{ Id: string; State: string; Labels: Record<string, string> }>> {
  return engineGet(
    socket,
    `/containers/json?all=true&filters=${encodeURIComponent(JSON.stringify({ label: [label] }))}`,
  );
}

/** Host pid of the running container of pod `podUid`, as runc or the daemon knows it. */
export async function containerPid(
  where: { runcRoot: string } | { socket: string },
  podUid: string,
): Promise<number | undefined> {
  if ('runcRoot' in where) {
    return runcContainers(where.runcRoot).find((c) => c.id.startsWith(podUid.slice(0, 8)) && c.status === 'running')
      ?.pid;
  }
  const [c] = (await engineContainers(where.socket, `io.edgeplane.pod.uid=${podUid}`)).filter(
    (x) => x.State === 'running',
  );
  if (!c) return undefined;
  const info = await engineGet<{ State: { Pid: number } }>(where.socket, `/containers/${c.Id}/json`);
  return info.State.Pid || undefined;
}

/** The address of an Engine API container on its daemon's network (its pod's IP). */
export async function containerAddress(socket: string, id: string): Promise<string> {
  const info = await engineGet<{ NetworkSettings: { Networks?: Record<string, { IPAddress?: string }> } }>(
    socket,
    `/containers/${id}/json`,
  );
  const ip = Object.values(info.NetworkSettings.Networks ?? {}).find((n) => n.IPAddress)?.IPAddress;
  if (!ip) throw new Error(`container ${id} has no address on its daemon's network`);
  return ip;
}

/** Mount points at or under `dir`. */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
}

/** Network namespaces whose name starts with `prefix`. */
export function netnsWithPrefix(prefix: string): string[] {
  try {
    return readdirSync('/var/run/netns').filter((n) => n.startsWith(prefix));
  } catch {
    return [];
  }
}

/** cgroup directories of container `id` (under the runc adapter's `/edgeplane` parent) that exist. */
export function cgroupsOf(id: string): string[] {
  const root = '/sys/fs/cgroup';
  const dirs = existsSync(join(root, 'cgroup.controllers'))
    ? [join(root, 'edgeplane', id)]
    : readdirSync(root).map((h) => join(root, h, 'edgeplane', id));
  return dirs.filter((d) => existsSync(d));
}

/** cgroup directories (two levels under each v1 hierarchy, or the v2 tree) whose name contains `id`. */
export function cgroupsNamed(id: string): string[] {
  const root = '/sys/fs/cgroup';
  const tops = existsSync(join(root, 'cgroup.controllers')) ? [root] : readdirSync(root).map((h) => join(root, h));
  const found: string[] = [];
  for (const top of tops) {
    for (const a of safeDirs(top)) {
      if (a.includes(id)) found.push(join(top, a));
      for (const b of safeDirs(join(top, a))) if (b.includes(id)) found.push(join(top, a, b));
    }
  }
  return found;
}

function safeDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch {
    return [];
  }
}

/** Everything a runc node's containers could leave behind. */
export function runcLeftovers(
  dataDir: string,
  bridge: string,
  ids: readonly string[],
): { containers: string[]; bundles: string[]; mounts: string[]; cgroups: string[]; netns: string[] } {
  const oci = join(dataDir, 'runtime-oci');
  const bundles = join(oci, 'bundles');
  return {
    containers: runcContainers(join(oci, 'runc')).map((c) => c.id),
    bundles: existsSync(bundles) ? readdirSync(bundles) : [],
    mounts: mountsUnder(oci),
    cgroups: ids.flatMap(cgroupsOf),
    netns: netnsWithPrefix(`edge-${bridge}-`),
  };
}

/**
 * Stops every node with SIGTERM (each then stops and removes its containers), removes whatever a
 * failed test left anyway, then stops the cluster.
 */
export async function stopGracefully(
  cluster: Cluster,
  clean: { runcRoots?: string[]; netnsPrefixes?: string[] } = {},
): Promise<void> {
  await Promise.all([...cluster.nodes.values()].map((n) => n.proc.kill('SIGTERM')));
  forceClean(clean.runcRoots ?? [], cluster.dir, clean.netnsPrefixes ?? []);
  await cluster.stop();
}

/** Last resort after a failed test: removes whatever runc containers, mounts and netns remain. */
export function forceClean(runcRoots: readonly string[], dir: string, netnsPrefixes: readonly string[]): void {
  for (const root of runcRoots) {
    for (const c of runcContainers(root)) {
      try {
        execFileSync('runc', ['--root', root, 'delete', '--force', c.id], { stdio: 'ignore' });
      } catch {
        // gone
      }
    }
  }
  for (const p of mountsUnder(dir).sort((a, b) => b.length - a.length)) {
    try {
      execFileSync('umount', ['-l', p], { stdio: 'ignore' });
    } catch {
      // gone
    }
  }
  for (const prefix of netnsPrefixes) {
    for (const n of netnsWithPrefix(prefix)) {
      try {
        execFileSync('ip', ['netns', 'del', n], { stdio: 'ignore' });
      } catch {
        // gone
      }
    }
  }
}
