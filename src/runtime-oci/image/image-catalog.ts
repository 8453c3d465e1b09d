/**
 * The image store's catalog (`images.json`): the images present, by manifest digest, and the
 * references they were pulled as. What is read back is checked before any of it becomes a path.
 */
import { parseDigest, type Platform } from '../../distribution/index.js';
import type { ImageRunConfig } from './image-config.js';

/** A pulled, unpacked image. */
export interface StoredImage {
  /** The reference it was pulled as (canonical form). */
  ref: string;
  /** Digest of the platform manifest: the image's identity here. */
  digest: string;
  configDigest: string;
  platform: Platform;
  /** Platforms the reference offers (an index's entries; else the image's own). */
  platforms: Platform[];
  config: ImageRunConfig;
  /** Snapshot names, bottom layer first. */
  snapshots: string[];
  sizeBytes: number;
}

/** The catalog file's content. */
export interface Catalog {
  images: Record<string, StoredImage>;
  tags: Record<string, string>;
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * The catalog as read back: only entries whose digests and snapshot names are well formed (they
 * become paths and overlay options); anything else is dropped, and its image pulled again when used.
 */
export function validCatalog(raw: unknown): Catalog {
  const out: Catalog = { images: {}, tags: {} };
  const doc = (typeof raw === 'object' && raw !== null ? raw : {}) as { images?: unknown; tags?: unknown };
  const images = (typeof doc.images === 'object' && doc.images !== null ? doc.images : {}) as Record<
    string,
    Partial<StoredImage>
  >;
  for (const [digest, image] of Object.entries(images)) {
    try {
      parseDigest(digest);
      parseDigest(String(image.configDigest));
    } catch {
      continue;
    }
    if (
      image.digest !== digest ||
      !Array.isArray(image.snapshots) ||
      !image.snapshots.every((n) => typeof n === 'string' && HEX64.test(n))
    )
      continue;
    out.images[digest] = image as StoredImage;
  }
  const tags = (typeof doc.tags === 'object' && doc.tags !== null ? doc.tags : {}) as Record<string, unknown>;
  for (const [tag, digest] of Object.entries(tags))
    if (typeof digest === 'string' && out.images[digest]) out.tags[tag] = digest;
  return out;
}
