/**
 * `join.token`: the token nodes join with, in K3s's form `K10<ca-hash>::<secret>` so a node can check
 * the hub's CA before it sends the secret (a bare secret when the hub has no CA to pin: plain HTTP, or
 * a user's certificate without its chain). Rewritten only when its content changes; mode 0600.
 */
import { readFile } from 'node:fs/promises';
import { writeFileDurable } from '../../durable/index.js';
import { formatJoinToken } from '../../pki/index.js';

/** Writes `join.token` for `secret`, pinning `caHash` when given. */
export async function writeJoinTokenFile(path: string, secret: string, caHash: string | undefined): Promise<string> {
  const token = caHash === undefined ? secret : formatJoinToken(caHash, secret);
  const current = await readFile(path, 'utf8').catch(() => '');
  if (current.trim() !== token) await writeFileDurable(path, `${token}\n`, { mode: 0o600 });
  return token;
}
