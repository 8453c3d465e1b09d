/**
 * `imagePullSecrets` for container pulls: the first of the pod's Docker config documents with
 * credentials for the image's registry gives the adapter's `auth` (over the node's own credentials),
 * as the kubelet tries a pod's pull secrets for the image's registry. A document that does not parse
 * is skipped (the Secret's type validation on the hub makes that rare); no value reaches a message.
 */
import type { RegistryAuth } from '../distribution/index.js';
import { RegistryCredentials, parseImageReference } from '../distribution/index.js';

/** Credentials for `ref`'s registry from `pullSecrets`, if any of them has some. */
export function pullSecretAuth(ref: string, pullSecrets: readonly string[]): RegistryAuth | undefined {
  if (pullSecrets.length === 0) return undefined;
  let registry: string;
  try {
    registry = parseImageReference(ref).registry;
  } catch {
    return undefined; // the pull itself reports the bad reference
  }
  for (const doc of pullSecrets) {
    let creds: RegistryCredentials;
    try {
      creds = RegistryCredentials.parse(doc);
    } catch {
      continue;
    }
    const auth = creds.lookup(registry);
    if (auth) return auth;
  }
  return undefined;
}
