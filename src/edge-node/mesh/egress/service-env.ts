/**
 * The env vars a container finds its Services and the node's HTTP proxy by, as Kubernetes' kubelet
 * writes them (`pkg/kubelet/envvars`) — with the node-local listener of each Service port standing in
 * for the cluster IP. For Service `catalog` with port 80 named `http` on listener 10.88.0.1:20345:
 *
 *   CATALOG_SERVICE_HOST=10.88.0.1          CATALOG_PORT=tcp://10.88.0.1:20345
 *   CATALOG_SERVICE_PORT=20345              CATALOG_PORT_80_TCP=tcp://10.88.0.1:20345
 *   CATALOG_SERVICE_PORT_HTTP=20345         CATALOG_PORT_80_TCP_PROTO=tcp
 *                                           CATALOG_PORT_80_TCP_PORT=20345
 *                                           CATALOG_PORT_80_TCP_ADDR=10.88.0.1
 *
 * Names keep the Service's own port (`_PORT_80_TCP`) as an application looks them up; values are
 * where the node listens. `_SERVICE_PORT` is the first port's, `_SERVICE_PORT_<NAME>` one per named
 * port. Plus `HTTP_PROXY`/`http_proxy` (the node's proxy that resolves Service names) and
 * `NO_PROXY`/`no_proxy` (loopback and the listener address: Service ports are reached directly).
 */
import type { ServiceRoute } from '../../../api/index.js';

/** What the env of one container is made from. */
export interface ServiceEnvInput {
  /** The Services of the pod's namespace. */
  services: readonly ServiceRoute[];
  /** The node's address as the container sees it (its listeners are there). */
  address: string;
  /** The listener port of one Service port; undefined when it has none (it is left out). */
  portOf(service: ServiceRoute, port: number): number | undefined;
  /** The HTTP proxy's port; undefined: no proxy vars. */
  proxyPort: number | undefined;
}

/**
 * An env var name from a Service or port name as Kubernetes makes it (upper case, `-` to `_`);
 * undefined when the result is not a portable name (`[A-Z_][A-Z0-9_]*`), e.g. a name starting with a
 * digit: Kubernetes' DNS-1035 Service names never do, ours (DNS-1123 labels) may, and a shell could
 * not read such a variable.
 */
export function envName(name: string): string | undefined {
  const out = name.toUpperCase().replace(/-/g, '_');
  return /^[A-Z_][A-Z0-9_]*$/.test(out) ? out : undefined;
}

/** The env vars of every Service in `input.services` that has listeners, plus the proxy's. */
export function serviceEnv(input: ServiceEnvInput): Record<string, string> {
  const env: Record<string, string> = {};
  const { address } = input;
  const hostPort = (port: number): string => (address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`);
  // Sorted, so a container's env does not depend on the order the hub listed Services in.
  const services = [...input.services].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const service of services) {
    const prefix = envName(service.name);
    if (prefix === undefined) continue;
    const ports = service.ports.flatMap((p) => {
      const local = input.portOf(service, p.port);
      return local === undefined ? [] : [{ spec: p, local }];
    });
    const first = ports[0];
    if (!first) continue;
    env[`${prefix}_SERVICE_HOST`] = address;
    env[`${prefix}_SERVICE_PORT`] = String(first.local);
    env[`${prefix}_PORT`] = `tcp://${hostPort(first.local)}`;
    for (const { spec, local } of ports) {
      const portName = spec.name ? envName(spec.name) : undefined;
      if (portName !== undefined) env[`${prefix}_SERVICE_PORT_${portName}`] = String(local);
      const link = `${prefix}_PORT_${spec.port}_TCP`;
      env[link] = `tcp://${hostPort(local)}`;
      env[`${link}_PROTO`] = 'tcp';
      env[`${link}_PORT`] = String(local);
      env[`${link}_ADDR`] = address;
    }
  }
  if (input.proxyPort !== undefined) {
    const proxy = `http://${hostPort(input.proxyPort)}`;
    const noProxy = [...new Set(['localhost', '127.0.0.1', '::1', address])].join(',');
    Object.assign(env, { HTTP_PROXY: proxy, http_proxy: proxy, NO_PROXY: noProxy, no_proxy: noProxy });
  }
  return env;
}
