/**
 * Which credentials a registry pull tries, in order (main thread): those the pod's `imagePullSecrets`
 * hold for the image's registry, in the pod's order, then the node's own (the registry client's
 * default) — as the kubelet does. The first that succeeds wins; a pull that fails with every one
 * reports the first failure (the pod's own secret's), and how many were tried. Secret values never
 * reach a message: only the registry answers' wording, which names a user at most.
 */
import { createHash } from 'node:crypto';
import { ImagePullError, errorMessage } from '../../api/index.js';
import { RegistryCredentials, type RegistryAuth } from '../../distribution/index.js';

/** One attempt's credentials (`undefined`: the node's own) and a key naming them (no secret in it). */
export interface PullAttempt {
  auth: RegistryAuth | undefined;
  key: string;
}

/** The attempts for `registry`: each pull secret's credentials for it, then the node's own. */
export function pullAttempts(registry: string, pullSecrets: readonly string[] | undefined): PullAttempt[] {
  const fromPod = RegistryCredentials.fromPullSecrets(pullSecrets ?? [], registry).map((auth) => ({
    auth,
    key: createHash('sha256').update(`${auth.username}\0${auth.password}`).digest('hex').slice(0, 16),
  }));
  return [...fromPod, { auth: undefined, key: 'node' }];
}

/** Runs `pull` with each attempt's credentials until one succeeds. */
export async function withPullAttempts<T>(
  attempts: readonly PullAttempt[],
  pull: (attempt: PullAttempt) => Promise<T>,
  signal: AbortSignal | undefined,
): Promise<T> {
  let first: unknown;
  for (const attempt of attempts) {
    try {
      return await pull(attempt);
    } catch (err) {
      if (signal?.aborted || !(err instanceof ImagePullError)) throw err;
      first ??= err;
    }
  }
  if (attempts.length <= 1) throw first;
  throw new ImagePullError(
    `${errorMessage(first)} (tried the credentials of ${attempts.length - 1} image pull secret(s) and the node's)`,
    first,
  );
}
