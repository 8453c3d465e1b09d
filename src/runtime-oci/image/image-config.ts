/**
 * An image configuration as the runc adapter uses it: its platform, the layers' diff IDs (validated,
 * since they name snapshot directories) and the runtime part (entrypoint, cmd, env, user, …).
 */
import { ImagePullError, errorMessage } from '../../api/index.js';
import { assertSha256Digest, type Platform } from '../../distribution/index.js';

/** The runtime part of an image config (`config` of the image configuration JSON). */
export interface ImageRunConfig {
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Env?: string[] | null;
  WorkingDir?: string;
  User?: string;
  StopSignal?: string;
}

/** The parts of an image configuration the runtime uses, validated. */
export function parseImageConfig(
  bytes: Uint8Array,
  what: string,
): { platform: Platform; run: ImageRunConfig; diffIds: string[] } {
  let doc: {
    os?: unknown;
    architecture?: unknown;
    variant?: unknown;
    config?: unknown;
    rootfs?: { diff_ids?: unknown };
  };
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as typeof doc;
  } catch (err) {
    throw new ImagePullError(`config of ${what} is not JSON: ${errorMessage(err)}`);
  }
  const diffIds = doc.rootfs?.diff_ids;
  if (!Array.isArray(diffIds)) throw new ImagePullError(`config of ${what} has no rootfs.diff_ids`);
  // Diff IDs name snapshot directories: each must be a well-formed digest before it touches the disk.
  diffIds.forEach((d, i) => {
    try {
      assertSha256Digest(d, `rootfs.diff_ids[${i}]`);
    } catch (err) {
      throw new ImagePullError(`config of ${what}: ${errorMessage(err)}`);
    }
  });
  const platform: Platform = {
    os: typeof doc.os === 'string' ? doc.os : 'linux',
    architecture: typeof doc.architecture === 'string' ? doc.architecture : 'unknown',
  };
  if (typeof doc.variant === 'string') platform.variant = doc.variant;
  const run = (typeof doc.config === 'object' && doc.config !== null ? doc.config : {}) as ImageRunConfig;
  return { platform, run, diffIds: diffIds as string[] };
}
