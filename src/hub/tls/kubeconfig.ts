/**
 * `admin.kubeconfig`: what the hub writes for its administrator, readable by edgectl
 * (`EDGE_CONFIG`) and by kubectl (`KUBECONFIG`): the server URL, the CA clients verify the hub with
 * (`certificate-authority-data`), the admin token, one context. It holds a token: mode 0600.
 */
import { stringify } from 'yaml';
import { writeFileDurable } from '../../durable/index.js';

/** Writes the admin kubeconfig at `path`. */
export async function writeAdminKubeconfig(
  path: string,
  opts: { server: string; caPem: string | undefined; token: string },
): Promise<void> {
  const cluster: Record<string, string> = { server: opts.server };
  if (opts.caPem !== undefined) cluster['certificate-authority-data'] = Buffer.from(opts.caPem).toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'edgeplane', cluster }],
    users: [{ name: 'admin', user: { token: opts.token } }],
    contexts: [{ name: 'edgeplane', context: { cluster: 'edgeplane', user: 'admin' } }],
    'current-context': 'edgeplane',
    preferences: {},
  };
  await writeFileDurable(path, stringify(config, { indentSeq: false }), { mode: 0o600 });
}
