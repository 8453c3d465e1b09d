/**
 * Parsing of Kubernetes resource URLs: `/api/v1[/namespaces/{ns}]/{plural}[/{name}[/{sub}]]` and
 * the same under `/apis/{group}/{version}`.
 */
import { BadRequestError, NotFoundError, typeByPlural, type ResourceType } from '../../api/index.js';

/** What a resource URL addresses. */
export type ResourceRoute =
  | { scope: 'groupVersion'; group: string; version: string }
  | { scope: 'collection'; type: ResourceType; namespace?: string }
  | { scope: 'object'; type: ResourceType; namespace?: string; name: string; sub?: string };

/** Subresources the API serves. */
export const SUBRESOURCES = ['status', 'scale', 'log', 'exec', 'attach', 'portforward', 'binding'] as const;

function notFound(): NotFoundError {
  return new NotFoundError('', '', 'the server could not find the requested resource');
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new BadRequestError(`invalid URL segment "${s}"`);
  }
}

/** Parses `path`; undefined when it is not under `/api` or `/apis`. Unknown kinds are NotFound. */
export function parseResourcePath(path: string): ResourceRoute | undefined {
  const parts = path
    .split('/')
    .filter((s) => s !== '')
    .map(decode);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) {
    group = '';
    version = parts[1] ?? '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1] ?? '';
    version = parts[2] ?? '';
    rest = parts.slice(3);
  } else return undefined;
  if (rest.length === 0) return { scope: 'groupVersion', group, version };

  let namespace: string | undefined;
  // `/namespaces/{ns}/{plural}…` is a namespaced URL; `/namespaces[/{ns}[/{sub}]]` is the Namespace kind itself.
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(SUBRESOURCES as readonly string[]).includes(rest[2] ?? '')) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural = '', name, sub, ...extra] = rest;
  const type = typeByPlural(group, version, plural);
  if (!type || extra.length > 0) throw notFound();
  if (namespace !== undefined && !type.namespaced) throw notFound();
  if (name === undefined) return { scope: 'collection', type, ...(namespace !== undefined ? { namespace } : {}) };
  if (sub !== undefined && !(SUBRESOURCES as readonly string[]).includes(sub)) throw notFound();
  // A namespaced object is only addressable inside its namespace.
  if (type.namespaced && namespace === undefined) throw notFound();
  return {
    scope: 'object',
    type,
    name,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(sub !== undefined ? { sub } : {}),
  };
}
