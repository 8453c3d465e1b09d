/**
 * The files the hub writes for its clients once it listens: `admin.kubeconfig` for edgectl and
 * kubectl, and `join.token` for nodes, pinning the CA (K10<hash>::<secret>) on a TLS hub.
 */
import { join } from 'node:path';
import { caHash } from '../pki/index.js';
import type { TokenAuth } from './auth/index.js';
import { writeAdminKubeconfig, writeJoinTokenFile } from './tls/index.js';

/** Where the client files live. */
export interface HubClientFiles {
  kubeconfig: string;
  joinToken: string;
}

/** Paths of the client files in `dataDir`. */
export function hubClientFiles(dataDir: string): HubClientFiles {
  return { kubeconfig: join(dataDir, 'admin.kubeconfig'), joinToken: join(dataDir, 'join.token') };
}

/** Writes both files for a hub at `url` (`caPem`: its serving CA; undefined on plain HTTP). */
export async function writeHubClientFiles(
  files: HubClientFiles,
  url: string,
  caPem: string | undefined,
  auth: Pick<TokenAuth, 'adminToken' | 'joinToken'>,
): Promise<void> {
  await writeAdminKubeconfig(files.kubeconfig, { server: url, caPem, token: auth.adminToken });
  await writeJoinTokenFile(files.joinToken, auth.joinToken, caPem === undefined ? undefined : caHash(caPem));
}
