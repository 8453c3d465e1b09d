/**
 * Client-side validation of manifests with the API's own zod schemas, so a typo is reported before
 * anything is written, naming the file, the document, the object and the field path.
 */
import {
  EdgeError,
  InvalidError,
  StatusReason,
  resolveType,
  validateObject,
  type FieldCause,
  type KubeObject,
  type ResourceKind,
} from '../../api/index.js';
import type { Manifest } from './load.js';

/** A manifest that cannot be applied; `causes` name the fields. */
export class ManifestError extends EdgeError {
  constructor(message: string, causes: FieldCause[] = []) {
    super(StatusReason.Invalid, 422, message, { causes });
  }
}

/** A validated manifest with its kind. */
export interface ValidManifest {
  manifest: Manifest;
  type: ResourceKind;
  object: KubeObject;
}

/** `"deploy.yaml" (document 2, Deployment "hello")`: where a manifest came from, for messages. */
export function describeManifest(m: Manifest, kind?: string, name?: string): string {
  const what = kind ? `, ${kind}${name ? ` "${name}"` : ''}` : '';
  return `"${m.source}" (document ${m.document}${what})`;
}

function rawKindName(raw: unknown): { kind?: string; name?: string } {
  if (raw === null || typeof raw !== 'object') return {};
  const r = raw as { kind?: unknown; metadata?: { name?: unknown } };
  return {
    ...(typeof r.kind === 'string' ? { kind: r.kind } : {}),
    ...(typeof r.metadata?.name === 'string' ? { name: r.metadata.name } : {}),
  };
}

/** Identifies and validates one manifest; throws ManifestError. */
export function validateManifest(m: Manifest): ValidManifest {
  const { kind, name } = rawKindName(m.raw);
  try {
    const type = resolveType(m.raw);
    const object = validateObject(type, m.raw);
    if (!object.metadata.name) {
      throw new ManifestError(`error validating ${describeManifest(m, kind)}: metadata.name is required`, [
        { field: 'metadata.name', message: 'Required value' },
      ]);
    }
    return { manifest: m, type, object };
  } catch (err) {
    if (err instanceof ManifestError) throw err;
    if (err instanceof EdgeError) {
      // Invalid: the causes say it all, one per line. Otherwise (unknown kind…) the message does.
      if (err instanceof InvalidError)
        throw new ManifestError(`error validating ${describeManifest(m, kind, name)}`, err.causes);
      throw new ManifestError(`error validating ${describeManifest(m, kind, name)}: ${err.message}`);
    }
    throw err;
  }
}
