/**
 * Reading the target of a request made to the node's HTTP proxy. Clients configured with
 * `http_proxy` send the absolute form (`GET http://catalog/items HTTP/1.1`, RFC 9112 §3.2.2); one
 * that addresses the proxy as if it were the server (origin form, `GET /items` with `Host: catalog`)
 * is read by its Host header. `CONNECT` (tunnels, for https) is not served.
 */

/** Where a proxied request goes. */
export interface ProxyTarget {
  scheme: 'http' | 'https';
  /** `host[:port]` as the client wrote it. */
  authority: string;
  /** Path and query (origin form) to send upstream. */
  path: string;
}

/** Why a request cannot be proxied, with the HTTP status to answer. */
export interface ProxyRefusal {
  status: number;
  message: string;
}

/** The answer to `CONNECT target` (a tunnel, as clients ask for https through a proxy). */
export function connectRefusal(target: string): ProxyRefusal {
  return {
    status: 405,
    message: `this proxy does not tunnel (CONNECT ${target}): call Services with plain http://<service>; external hosts are called over http through it`,
  };
}

/** The target of `method url` with `host` (the Host header); a refusal for what the proxy does not serve. */
export function proxyTarget(method: string, url: string, host: string | undefined): ProxyTarget | ProxyRefusal {
  if (method === 'CONNECT') return connectRefusal(url);
  const absolute = /^(https?):\/\/([^/?#]*)([^#]*)/i.exec(url);
  if (absolute) {
    const authority = absolute[2] ?? '';
    if (authority === '' || authority.includes('@'))
      return { status: 400, message: `"${url}": no host, or user info in the URL` };
    const rest = absolute[3] ?? '';
    return {
      scheme: absolute[1]!.toLowerCase() as 'http' | 'https',
      authority,
      path: rest.startsWith('/') ? rest : `/${rest}`,
    };
  }
  if (url.startsWith('/') && host) return { scheme: 'http', authority: host, path: url };
  return { status: 400, message: `"${url}" is neither an absolute http:// URL nor a path with a Host header` };
}

/** True for a refusal. */
export function isRefusal(t: ProxyTarget | ProxyRefusal): t is ProxyRefusal {
  return 'status' in t;
}
