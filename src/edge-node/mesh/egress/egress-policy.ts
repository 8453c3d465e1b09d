/**
 * Which destinations outside the cluster a pod may call. Services are always reachable; anything
 * else only when the pod lists it in the annotation
 *
 *   edgeplane.io/allowed-outgoing-hosts: "api.example.com, *.example.org:443, 10.0.0.9:8080"
 *
 * Entries are separated by commas or white space: a host name or IP address (IPv6 in brackets), or
 * `*.domain` for any name under that domain (not the domain itself), or `*` for any host; each with
 * an optional `:port` (without one, any port). Matching ignores case. Entries that are none of these
 * are ignored and named in the error a denied call gets.
 */
import { parseAuthority, type Authority } from './service-host.js';

/** The pod annotation that lists the external hosts a pod may call. */
export const ALLOWED_OUTGOING_HOSTS_ANNOTATION = 'edgeplane.io/allowed-outgoing-hosts';

/** One allowed destination. */
interface HostRule {
  /** Exact host, `*.suffix` (stored as `.suffix`), or `*`. */
  host: string;
  port?: number;
}

/** The parsed annotation. */
export interface EgressPolicy {
  rules: readonly HostRule[];
  /** Entries that could not be read (reported, never guessed at). */
  invalid: readonly string[];
}

/** Parses the annotation's value (undefined: nothing allowed). */
export function parseEgressPolicy(value: string | undefined): EgressPolicy {
  const rules: HostRule[] = [];
  const invalid: string[] = [];
  for (const entry of (value ?? '').split(/[\s,]+/).filter(Boolean)) {
    const rule = parseRule(entry);
    if (rule) rules.push(rule);
    else invalid.push(entry);
  }
  return { rules, invalid };
}

/** True when `target` is one of the policy's destinations. */
export function egressAllowed(policy: EgressPolicy, target: Authority): boolean {
  return policy.rules.some((r) => {
    if (r.port !== undefined && r.port !== target.port) return false;
    if (r.host === '*') return true;
    if (r.host.startsWith('.')) return target.host.endsWith(r.host) && target.host.length > r.host.length;
    return r.host === target.host;
  });
}

function parseRule(entry: string): HostRule | undefined {
  const hasPort = entry.includes('[') ? /\]:[0-9]+$/.test(entry) : entry.includes(':');
  let wildcard = '';
  let rest = entry;
  if (rest === '*' || rest.startsWith('*:')) {
    wildcard = '*';
    rest = `any${rest.slice(1)}`;
  } else if (rest.startsWith('*.')) {
    wildcard = '.';
    rest = rest.slice(2);
  }
  // Parsed as an authority, so rules and requests agree on case, brackets and ports.
  const parsed = parseAuthority(rest, 'http');
  if (!parsed) return undefined;
  const port = hasPort ? parsed.port : undefined;
  if (wildcard === '*') return port === undefined ? { host: '*' } : { host: '*', port };
  const host = wildcard === '.' ? `.${parsed.host}` : parsed.host;
  return port === undefined ? { host } : { host, port };
}
