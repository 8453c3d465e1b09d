/** Nodes register with their status, as in Kubernetes (every other kind starts from a clean one). */
import { NODE_CREDENTIALS_ANNOTATION } from '../../../api/index.js';
import type { KindRules } from './strategy.js';

/** The rules of `v1 Node`. */
export const nodeStrategy: KindRules = {
  statusOnCreate: (input) => input.status,
  // The key binding is the node's identity: an update that omits it (a user's PUT of a manifest
  // without it, `edit` removing it) keeps the stored one, or it would unbind the node. Setting it
  // explicitly still replaces it: the hub's identity code does so, and so may an admin.
  prepareMetadataForUpdate: (cur, metadata) => {
    const keys = cur.metadata.annotations?.[NODE_CREDENTIALS_ANNOTATION];
    if (keys === undefined || metadata.annotations?.[NODE_CREDENTIALS_ANNOTATION] !== undefined) return metadata;
    return { ...metadata, annotations: { ...metadata.annotations, [NODE_CREDENTIALS_ANNOTATION]: keys } };
  },
};
