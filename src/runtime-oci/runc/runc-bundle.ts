/**
 * A runc container's files outside runc itself: the bundle's `config.json` (in the node's volatile
 * dir when there is one), the agent's record of the container (`agent.json`, what a restarted agent
 * adopts it by), and the removal of everything a container leaves.
 */
import { mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { runCommand } from '../command.js';
import { unmountAll } from '../unpack/overlay.js';
import { removeCgroupDirs } from './cgroups.js';

/**
 * What the agent notes of a container in its bundle, for the next agent. Nothing of its env,
 * command or args (Secret values may be in them): those stay in `config.json`.
 */
export const ContainerRecord = z.object({
  id: z.string().min(1),
  pod: z.object({ namespace: z.string(), name: z.string(), uid: z.string().min(1) }),
  name: z.string(),
  labels: z.record(z.string(), z.string()),
  logPath: z.string(),
  hostNetwork: z.boolean(),
  ip: z.string().optional(),
  networkHeld: z.boolean(),
  cgroupsPath: z.string(),
  /** It has a stdin pipe (`once`: closed after the first attach that wrote to it). */
  stdin: z.object({ once: z.boolean() }).optional(),
  /** It runs on a terminal (`script` under the shim). */
  tty: z.boolean().optional(),
  startedAt: z.string().optional(),
});
export type ContainerRecord = z.infer<typeof ContainerRecord>;

const RECORD = 'agent.json';

/** Writes the record (0600: pod names and labels are the node's business). */
export async function writeRecord(bundle: string, rec: ContainerRecord): Promise<void> {
  // Whole or not at all: a record cut short by a crash would not parse, and its container is swept.
  const tmp = join(bundle, `${RECORD}.tmp`);
  await writeFile(tmp, JSON.stringify(rec), { mode: 0o600 });
  await rename(tmp, join(bundle, RECORD));
}

/** The record of a bundle; undefined when there is none or it is not one this agent understands. */
export async function readRecord(bundle: string): Promise<ContainerRecord | undefined> {
  try {
    const parsed = ContainerRecord.safeParse(JSON.parse(await readFile(join(bundle, RECORD), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the bundle's `config.json`, in the volatile dir (linked from the bundle) when there is one. */
export async function writeConfig(
  volatileDir: string | undefined,
  id: string,
  bundle: string,
  json: string,
): Promise<void> {
  if (volatileDir === undefined) {
    await writeFile(join(bundle, 'config.json'), json, { mode: 0o600 });
    return;
  }
  await mkdir(volatileDir, { recursive: true, mode: 0o700 });
  const file = join(volatileDir, `${id}.json`);
  await writeFile(file, json, { mode: 0o600 });
  await symlink(file, join(bundle, 'config.json'));
}

/** Removes what runc and the bundle leave of a container: runc's state, the rootfs mount, the bundle, the cgroup. */
export async function deleteContainerFiles(o: {
  runc: string;
  root: string;
  id: string;
  bundle: string;
  cgroupsPath: string;
  volatileDir: string | undefined;
}): Promise<void> {
  await runCommand(o.runc, ['--root', o.root, 'delete', '--force', o.id], {
    allowFailure: true,
    timeoutMs: 15_000,
  }).catch(() => undefined);
  await unmountAll(o.bundle);
  await rm(o.bundle, { recursive: true, force: true });
  if (o.volatileDir !== undefined) await rm(join(o.volatileDir, `${o.id}.json`), { force: true });
  await removeCgroupDirs(o.cgroupsPath);
}
