/**
 * Killing an exec'd command with everything it started: a shell's children hold the exec's pipes and
 * would outlive it (neither runc nor the Engine API gives an exec a cgroup of its own to kill).
 */
import { readFile, readdir } from 'node:fs/promises';

/**
 * SIGKILLs host process `pid` and everything under it (a shell's children hold the exec's pipes and
 * would outlive it: runc gives an exec no cgroup of its own to kill). The tree is read from /proc
 * before anything is killed, since orphans are re-parented at once.
 */
export async function killTree(pid: number): Promise<void> {
  if (!Number.isInteger(pid) || pid <= 1) return;
  const children = new Map<number, number[]>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (Number.isInteger(ppid)) children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  for (const p of tree) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
