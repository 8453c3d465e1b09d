/**
 * What a restarted agent finds of the runc containers an earlier run left: the ones it can take back
 * (a record in the bundle, started under the shim) and the leftovers it removes (everything else).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../../api/index.js';
import type { Logger } from '../../api/index.js';
import type { OciContainerSpec } from '../adapter.js';
import { runCommand } from '../command.js';
import { adoptedSpec } from '../oci-adopted.js';
import type { PodNetwork } from '../network/pod-network.js';
import { readRecord, type ContainerRecord } from './runc-bundle.js';
import { readPid } from './runc-process-util.js';
import type { RuncProcess } from './runc-process.js';

/** The runc adapter's record of one container. */
export interface RuncContainer {
  spec: OciContainerSpec;
  bundle: string;
  cgroupsPath: string;
  /** The pod's address; undefined with host networking. */
  ip?: string;
  networkHeld: boolean;
  proc: RuncProcess;
}

/** The record written to the bundle for a container. */
export function recordOf(c: RuncContainer): ContainerRecord {
  const { spec } = c;
  return {
    id: spec.id,
    pod: spec.pod,
    name: spec.name,
    labels: spec.labels,
    logPath: spec.logPath,
    hostNetwork: spec.hostNetwork,
    ...(c.ip !== undefined ? { ip: c.ip } : {}),
    networkHeld: c.networkHeld,
    cgroupsPath: c.cgroupsPath,
    ...(spec.stdin ? { stdin: { once: spec.stdin.once } } : {}),
    ...(spec.tty ? { tty: true } : {}),
  };
}

/**
 * Every bundle with a record of a started container, taken back: its process is followed on (or its
 * exit, if it came while no agent ran, reported) and its pod's network namespace held again. The
 * spec is partial: only what the adapter reads after start (no image, env, command or args).
 */
export async function recoverContainers(o: {
  bundles: string;
  network: PodNetwork | undefined;
  logger: Logger;
  process(rec: { id: string; spec: OciContainerSpec; cgroupsPath: string }): RuncProcess;
}): Promise<RuncContainer[]> {
  const found: RuncContainer[] = [];
  for (const name of await readdir(o.bundles).catch(() => [] as string[])) {
    const bundle = join(o.bundles, name);
    const rec = await readRecord(bundle);
    const pid = await readPid(join(bundle, 'pid'));
    if (!rec || rec.id !== name || rec.startedAt === undefined || pid === undefined) continue;
    const spec = adoptedSpec({
      id: rec.id,
      pod: rec.pod,
      name: rec.name,
      hostNetwork: rec.hostNetwork,
      logPath: rec.logPath,
      labels: rec.labels,
      ...(rec.stdin ? { stdin: rec.stdin } : {}),
      ...(rec.tty ? { tty: true } : {}),
    });
    const proc = o.process({ id: rec.id, spec, cgroupsPath: rec.cgroupsPath });
    try {
      if (rec.networkHeld && rec.ip !== undefined) await o.network?.adopt(rec.pod.uid, rec.ip);
      await proc.adopt(pid, rec.startedAt);
    } catch (err) {
      o.logger.warn({ container: rec.id, err: errorMessage(err) }, 'cannot take back a container; it is removed');
      continue;
    }
    found.push({
      spec,
      bundle,
      cgroupsPath: rec.cgroupsPath,
      ...(rec.ip !== undefined ? { ip: rec.ip } : {}),
      networkHeld: rec.networkHeld && rec.ip !== undefined && o.network !== undefined,
      proc,
    });
    o.logger.info({ container: rec.id, pid, state: proc.state }, 'took back a container of an earlier run');
  }
  return found;
}

/** Removes the containers runc or the bundles dir know that the adapter does not (`keep`). */
export async function sweepLeftovers(o: {
  runc: string;
  root: string;
  bundles: string;
  keep(id: string): boolean;
  remove(id: string): Promise<void>;
  logger: Logger;
}): Promise<void> {
  const listed = await runCommand(o.runc, ['--root', o.root, 'list', '-q'], { allowFailure: true });
  const ids = new Set(
    listed.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean),
  );
  for (const name of await readdir(o.bundles).catch(() => [] as string[])) ids.add(name);
  for (const id of ids) {
    if (o.keep(id)) continue;
    await o.remove(id);
    o.logger.info({ container: id }, 'removed a leftover container');
  }
}
