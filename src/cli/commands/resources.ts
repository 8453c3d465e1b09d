/**
 * kubectl's ways of naming resources on the command line: `TYPE [NAME...]`, `TYPE/NAME...`,
 * `TYPE1,TYPE2` and `all`.
 */
import { COMPONENT_STATUS_KIND, RESOURCE_KINDS, findByName, kindByName, type ResourceKind } from '../../api/lite.js';
import { UsageError } from '../errors.js';

/** One kind to act on, with the names given (empty = the whole collection). */
export interface ResourceRequest {
  type: ResourceKind;
  names: string[];
}

// What `get all` covers, as in kubectl: the workload view of a namespace.
const ALL = ['pods', 'services', 'daemonsets', 'deployments', 'replicasets', 'jobs'];

/** Resolves a name a user may type (`po`, `deploy`, `deployments.apps`, `Pod`). */
export function lookupType(name: string, command: string): ResourceKind {
  // Read-only kinds the hub answers without storing them (`get componentstatuses`/`cs`).
  const t = kindByName(name) ?? findByName([COMPONENT_STATUS_KIND], name);
  if (!t) {
    const known = RESOURCE_KINDS.map((r) => r.plural).join(', ');
    throw new UsageError(
      `the server doesn't have a resource type "${name}" (known types: ${known})`,
      `edgectl ${command} --help`,
    );
  }
  return t;
}

/** Parses the positional arguments of get/describe/delete. */
export function parseResourceArgs(args: readonly string[], command: string): ResourceRequest[] {
  const [first, ...rest] = args;
  if (first === undefined) {
    throw new UsageError(`you must specify the type of resource to ${command}`, `edgectl ${command} --help`);
  }
  if (first.includes('/')) {
    const out: ResourceRequest[] = [];
    for (const a of args) {
      const slash = a.indexOf('/');
      if (slash <= 0 || slash === a.length - 1) {
        throw new UsageError(
          `there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (got "${a}")`,
          `edgectl ${command} --help`,
        );
      }
      const type = lookupType(a.slice(0, slash), command);
      const name = a.slice(slash + 1);
      const existing = out.find((r) => r.type === type);
      if (existing) existing.names.push(name);
      else out.push({ type, names: [name] });
    }
    return out;
  }
  const kinds = first.split(',').filter((s) => s !== '');
  const types: ResourceKind[] = [];
  for (const k of kinds) {
    for (const name of k.toLowerCase() === 'all' ? ALL : [k]) {
      const t = lookupType(name, command);
      if (!types.includes(t)) types.push(t);
    }
  }
  if (rest.length > 0 && types.length > 1) {
    throw new UsageError(
      `names cannot be combined with several resource types: use TYPE/NAME (e.g. pod/web-1)`,
      `edgectl ${command} --help`,
    );
  }
  return types.map((type) => ({ type, names: [...rest] }));
}
