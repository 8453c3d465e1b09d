/**
 * Another hub of the same cluster, as an operator sets one up: its data dir gets the first hub's cluster
 * CA (certificate and key), so both sign and trust the same node, client and peer certificates.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Copies `pki/ca.crt` and `pki/ca.key` from the data dir `from` into the data dir `to`. Tests only. */
export function shareClusterCa(from: string, to: string): void {
  mkdirSync(join(to, 'pki'), { recursive: true, mode: 0o700 });
  for (const f of ['ca.crt', 'ca.key']) copyFileSync(join(from, 'pki', f), join(to, 'pki', f));
}
