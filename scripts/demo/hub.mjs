/**
 * Talking to the demo's hub: edgectl as a user runs it, the hub's API with its admin token, and
 * whether anything already listens on its port.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Agent, fetch as fetchWithCa } from 'undici';
import { DATA, HUB, ROOT } from './options.mjs';

/** The hub's admin kubeconfig (server, CA, admin token), written by the hub on first start. */
export const KUBECONFIG = () => join(DATA, 'hub', 'admin.kubeconfig');

/**
 * Runs edgectl synchronously, `input` on its stdin, and returns spawnSync's result (utf8). It runs as
 * a user runs it after the hub's startup message: EDGE_CONFIG names the hub's kubeconfig, and any
 * EDGE_SERVER or EDGE_TOKEN of this shell is dropped so it cannot point edgectl elsewhere.
 */
export function edgectl(argv, input) {
  const { EDGE_SERVER: _s, EDGE_TOKEN: _t, ...env } = process.env;
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'edgectl.js'), ...argv], {
    encoding: 'utf8',
    input,
    env: { ...env, EDGE_CONFIG: KUBECONFIG() },
  });
}

// Made on first use: the CA exists only once the hub has started.
let hubAgent;
/** A fetch of the hub trusting its cluster CA (created by the hub on first start). */
export function hubFetch(path, init = {}) {
  hubAgent ??= new Agent({ connect: { ca: readFileSync(join(DATA, 'hub', 'pki', 'ca.crt'), 'utf8') } });
  return fetchWithCa(`${HUB}${path}`, { ...init, dispatcher: hubAgent });
}

/** True when something accepts TCP connections on the hub's port. */
export function listening() {
  const { hostname, port } = new URL(HUB);
  return new Promise((res) => {
    const s = connect(Number(port), hostname, () => {
      s.destroy();
      res(true);
    });
    s.on('error', () => res(false));
  });
}

/** GETs `path` from the hub's API as the admin; resolves to the JSON body, throws on a non-2xx. */
export async function api(path) {
  const token = readFileSync(join(DATA, 'hub', 'admin.token'), 'utf8').trim();
  const res = await hubFetch(path, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return res.json();
}
