/**
 * OCI / Docker v2 manifest documents: media types, parsing with clear errors, and the resolution of
 * an image index (manifest list) to the node's platform.
 */
import { ImagePullError } from '../api/index.js';
import type { Platform } from './platform.js';
import { parseDigest } from './digest.js';

export const MediaType = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  wasmConfig: 'application/vnd.wasm.config.v0+json',
  wasmLayer: 'application/wasm',
} as const;

/** What a registry is asked for when fetching a manifest. */
export const MANIFEST_ACCEPT = [
  MediaType.ociIndex,
  MediaType.ociManifest,
  MediaType.dockerList,
  MediaType.dockerManifest,
].join(', ');

/** A content descriptor. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform & { 'os.version'?: string };
  annotations?: Record<string, string>;
  artifactType?: string;
}

/** An image manifest (one platform). */
export interface ImageManifest {
  kind: 'manifest';
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  artifactType?: string;
}

/** An image index / manifest list. */
export interface ImageIndex {
  kind: 'index';
  mediaType: string;
  manifests: Descriptor[];
}

function descriptor(v: unknown, where: string): Descriptor {
  const d = v as Partial<Descriptor> | null;
  if (
    !d ||
    typeof d !== 'object' ||
    typeof d.digest !== 'string' ||
    typeof d.size !== 'number' ||
    typeof d.mediaType !== 'string'
  ) {
    throw new ImagePullError(`malformed manifest: ${where} is not a descriptor (mediaType, digest, size)`);
  }
  // Digests become file names and URLs: well-formed before anything uses them.
  try {
    parseDigest(d.digest);
  } catch (err) {
    throw new ImagePullError(`malformed manifest: ${where}.digest: ${(err as Error).message}`);
  }
  if (!Number.isSafeInteger(d.size) || d.size < 0)
    throw new ImagePullError(`malformed manifest: ${where}.size ${d.size} is not a byte count`);
  return d as Descriptor;
}

/** Parses a manifest or index; `headerType` is the response's Content-Type (used when the document has none). */
export function parseManifest(bytes: Uint8Array, headerType: string | undefined): ImageManifest | ImageIndex {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new ImagePullError('malformed manifest: not JSON');
  }
  const mediaType =
    typeof doc.mediaType === 'string' ? doc.mediaType : ((headerType ?? '').split(';')[0]?.trim() ?? '');
  if (doc.schemaVersion !== 2)
    throw new ImagePullError(`unsupported manifest schemaVersion ${String(doc.schemaVersion)} (only 2)`);
  if (Array.isArray(doc.manifests) || mediaType === MediaType.ociIndex || mediaType === MediaType.dockerList) {
    if (!Array.isArray(doc.manifests)) throw new ImagePullError('malformed index: no manifests');
    return {
      kind: 'index',
      mediaType: mediaType || MediaType.ociIndex,
      manifests: doc.manifests.map((m, i) => descriptor(m, `manifests[${i}]`)),
    };
  }
  if (!Array.isArray(doc.layers))
    throw new ImagePullError(`malformed manifest (${mediaType || 'no media type'}): no layers`);
  const out: ImageManifest = {
    kind: 'manifest',
    mediaType: mediaType || MediaType.ociManifest,
    config: descriptor(doc.config, 'config'),
    layers: doc.layers.map((l, i) => descriptor(l, `layers[${i}]`)),
  };
  if (typeof doc.artifactType === 'string') out.artifactType = doc.artifactType;
  return out;
}

const fmt = (p: Platform | undefined): string =>
  p ? `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}` : 'unknown';

/** Platforms an index offers (attestation entries, `unknown/unknown`, left out). */
export function indexPlatforms(index: ImageIndex): Platform[] {
  return index.manifests.flatMap((m) => (m.platform && m.platform.os !== 'unknown' ? [m.platform] : []));
}

/**
 * The index entry for `want`: same os and architecture; the same variant when the node has one
 * (else any), preferring an exact variant match. A 32-bit ARM node also takes older variants (v7 runs v6).
 */
export function selectPlatform(index: ImageIndex, want: Platform): Descriptor {
  const candidates = index.manifests.filter(
    (m) => m.platform?.os === want.os && m.platform.architecture === want.architecture,
  );
  const exact = candidates.find((m) => (m.platform?.variant ?? '') === (want.variant ?? ''));
  if (exact) return exact;
  const armLevel = (v: string | undefined): number => Number(/^v([0-9]+)$/.exec(v ?? '')?.[1] ?? NaN);
  const compatible = candidates
    .filter(
      (m) =>
        want.variant === undefined ||
        m.platform?.variant === undefined ||
        armLevel(m.platform.variant) <= armLevel(want.variant),
    )
    .sort((a, b) => (armLevel(b.platform?.variant) || 0) - (armLevel(a.platform?.variant) || 0));
  const pick = compatible[0];
  if (pick) return pick;
  const offered = indexPlatforms(index).map(fmt).join(', ') || 'none';
  throw new ImagePullError(`no image for platform ${fmt(want)} in the index (it offers: ${offered})`);
}

/** `os/architecture[/variant]`. */
export function formatPlatform(p: Platform): string {
  return fmt(p);
}
