/**
 * The files a runc container's network identity comes from, written into its bundle and bind-mounted
 * by its `config.json`: `/etc/hosts` naming the pod, `/etc/hostname`, and with the node's network
 * the node's `/etc/resolv.conf`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** `/etc/hosts`, `/etc/hostname` and (with the node's network) `/etc/resolv.conf` of a container. */
export async function writeEtcFiles(
  bundle: string,
  hostname: string,
  ip: string,
  hostNetwork: boolean,
): Promise<{ hosts: string; hostname: string; resolvConf?: string }> {
  const files: { hosts: string; hostname: string; resolvConf?: string } = {
    hosts: join(bundle, 'hosts'),
    hostname: join(bundle, 'hostname'),
  };
  await writeFile(files.hosts, `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${ip}\t${hostname}\n`);
  await writeFile(files.hostname, `${hostname}\n`);
  if (hostNetwork) {
    files.resolvConf = join(bundle, 'resolv.conf');
    await writeFile(files.resolvConf, await readFile('/etc/resolv.conf', 'utf8').catch(() => ''));
  }
  return files;
}
