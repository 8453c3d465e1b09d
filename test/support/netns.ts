/**
 * Network namespaces for end-to-end tests that need nodes unable to reach each other (the mesh
 * relay): each namespace joined to the host by a veth pair (`<ns>0` on the host, `<ns>1` inside),
 * and node processes run inside with `ip netns exec`. Needs root and iproute2.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { Proc } from './proc.js';

/** Why namespaces cannot be made here, or undefined. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root (network namespaces need it)';
  const r = spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' });
  if (r.error || r.status !== 0) return 'no `ip netns` (iproute2)';
  return undefined;
}

/** Runs `ip args…`; throws with its stderr when it fails. */
export function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Makes namespace `ns` with a veth pair: `hostIp/24` on the host end, `nsIp/24` inside, both up, and
 * loopback up inside. Routes beyond that subnet are the caller's.
 */
export function addNetns(ns: string, hostIp: string, nsIp: string): void {
  ip('netns', 'add', ns);
  ip('link', 'add', `${ns}0`, 'type', 'veth', 'peer', 'name', `${ns}1`);
  ip('link', 'set', `${ns}1`, 'netns', ns);
  ip('addr', 'add', `${hostIp}/24`, 'dev', `${ns}0`);
  ip('link', 'set', `${ns}0`, 'up');
  ip('-n', ns, 'addr', 'add', `${nsIp}/24`, 'dev', `${ns}1`);
  ip('-n', ns, 'link', 'set', `${ns}1`, 'up');
  ip('-n', ns, 'link', 'set', 'lo', 'up');
}

/** Removes the namespaces and the host ends of their veth pairs (quietly: they may not exist). */
export function removeNetns(names: readonly string[]): void {
  for (const ns of names) {
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    spawnSync('ip', ['link', 'del', `${ns}0`], { stdio: 'ignore' });
  }
}

/** Runs `script` with node inside namespace `ns`; resolves with its stdout (rejects on a non-zero exit). */
export async function inNetns(ns: string, script: string): Promise<string> {
  const p = new Proc(spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] })); // prettier-ignore
  const code = await p.exited;
  if (code !== 0) throw new Error(`in ${ns}: exit ${code}: ${p.err.trim().slice(-500)}`);
  return p.out;
}

/** From inside `ns`: `connected`, or the error code of a TCP connect to `host:port` (3 s at most). */
export async function tcpFrom(ns: string, host: string, port: number): Promise<string> {
  const out = await inNetns(ns, `const s = require('net').connect(${port}, '${host}'); s.setTimeout(3000, () => { console.log('ETIMEDOUT'); process.exit(0); }); s.on('error', (e) => { console.log(e.code); process.exit(0); }).on('connect', () => { console.log('connected'); process.exit(0); });`); // prettier-ignore
  return out.trim();
}
