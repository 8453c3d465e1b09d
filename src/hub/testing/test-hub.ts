/**
 * The real API app of `createTestApi` served over HTTP on a free loopback port, for clients (edgectl,
 * `EdgeClient`) to talk to as they talk to a hub. A test can read the requests it received, set the
 * pod logs it serves, and end the open watches as a restarting hub would.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import type { PodLogSource } from '../server/index.js';
import { createTestApi, type TestApi, type TestApiOptions } from './test-api.js';

/** A served test API and what a test may inspect and steer. */
export interface TestHub extends TestApi {
  /** Base URL, `http://127.0.0.1:<port>`. */
  url: string;
  /** The admin bearer token. */
  adminToken: string;
  /** Every request received, as `METHOD /path?query`. */
  requests: string[];
  /** Log text served for `GET …/pods/<pod>/log`, by `namespace/pod`; a followed log then stays open. */
  logs: Map<string, string>;
  /** Ends every open watch stream cleanly (as a hub does on timeout or restart). */
  dropWatches(): void;
}

/** Serves the text of `logs`; with `follow`, keeps the stream open until the client goes away. */
function mapLogs(logs: Map<string, string>): PodLogSource {
  return {
    async *stream(namespace, pod, opts, signal) {
      const text = logs.get(`${namespace}/${pod}`) ?? '';
      if (text !== '') yield text;
      if (opts.follow && !signal.aborted)
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    },
  };
}

/** Starts a real API app on a free loopback port. */
export async function startTestHub(opts: Omit<TestApiOptions, 'logs'> = {}): Promise<TestHub> {
  const logs = new Map<string, string>();
  const t = await createTestApi({ ...opts, logs: mapLogs(logs) });
  const requests: string[] = [];
  let dropping = new AbortController();
  const fetch = (req: Request): Response | Promise<Response> => {
    const url = new URL(req.url);
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    if (url.searchParams.get('watch') !== 'true') return t.app.fetch(req);
    // A watch ends when its request's signal aborts: tie it to `dropWatches` as well.
    const signal = AbortSignal.any([req.signal, dropping.signal]);
    return t.app.fetch(new Request(req, { signal }));
  };
  const server = createAdaptorServer({ fetch }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    ...t,
    url: `http://127.0.0.1:${port}`,
    adminToken: t.auth.adminToken,
    requests,
    logs,
    dropWatches() {
      dropping.abort();
      dropping = new AbortController();
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await t.close();
    },
  };
}
