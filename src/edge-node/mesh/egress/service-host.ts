/**
 * Service discovery without DNS: the host a pod addresses is read as a Service name the way
 * Kubernetes' cluster DNS would answer it — `svc`, `svc.ns`, `svc.ns.svc`, `svc.ns.svc.cluster.local`
 * (the namespace defaults to the caller's) — and looked up in the node's Service table.
 */

/** A request's target as addressed: lower-case host (IPv6 without brackets) and port. */
export interface Authority {
  host: string;
  port: number;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Parses `host[:port]` (`[v6]:port` for IPv6); the port defaults to the scheme's (80, 443).
 * Undefined when it is not a plain authority (user info, path, empty host, bad port).
 */
export function parseAuthority(authority: string, scheme: 'http' | 'https'): Authority | undefined {
  const defaultPort = scheme === 'https' ? 443 : 80;
  let host: string;
  let portText: string | undefined;
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close < 0) return undefined;
    host = authority.slice(1, close);
    const rest = authority.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return undefined;
    portText = rest === '' ? undefined : rest.slice(1);
    if (!/^[0-9a-fA-F:.]+$/.test(host) || !host.includes(':')) return undefined;
  } else {
    const colon = authority.lastIndexOf(':');
    host = colon < 0 ? authority : authority.slice(0, colon);
    portText = colon < 0 ? undefined : authority.slice(colon + 1);
    if (!/^[A-Za-z0-9._-]+$/.test(host)) return undefined;
  }
  host = host.toLowerCase().replace(/\.$/, '');
  if (host === '') return undefined;
  if (portText === undefined) return { host, port: defaultPort };
  if (!/^[0-9]{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  return port >= 1 && port <= 65535 ? { host, port } : undefined;
}

/** The Service a host names. */
export interface ServiceName {
  name: string;
  namespace: string;
}

/**
 * The Service named by `host` (as `parseAuthority` returned it), or undefined when the host is not
 * shaped like one (an IP address, a name with more labels, `svc.ns.other`).
 */
export function serviceNameOf(host: string, callerNamespace: string): ServiceName | undefined {
  const labels = host.split('.');
  if (!labels.every((l) => DNS_LABEL.test(l))) return undefined;
  const [name, namespace, svc, cluster, local] = labels as [
    string,
    string | undefined,
    string | undefined,
    string | undefined,
    string | undefined,
  ];
  switch (labels.length) {
    case 1:
      return { name, namespace: callerNamespace };
    case 2:
      return { name, namespace: namespace! };
    case 3:
      return svc === 'svc' ? { name, namespace: namespace! } : undefined;
    case 5:
      return svc === 'svc' && cluster === 'cluster' && local === 'local' ? { name, namespace: namespace! } : undefined;
    default:
      return undefined;
  }
}
