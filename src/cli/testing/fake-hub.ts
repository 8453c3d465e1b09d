/**
 * An in-memory stand-in for the hub's REST API (node:http), for edgectl's tests while the real
 * server is being built: CRUD with resourceVersion semantics, list selectors, NDJSON watch, /scale,
 * /log, blobs, /version and bearer auth. It follows the contract, not the hub's internals.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BLOB_PATH,
  InvalidError,
  NotFoundError,
  ConflictError,
  AlreadyExistsError,
  GoneError,
  EdgeError,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  toStatus,
  typeByPlural,
  validateObject,
  type KubeObject,
  type ResourceType,
} from '../../api/index.js';

interface Change {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
}

/** What a test can inspect and steer. */
export interface FakeHub {
  url: string;
  objects: Map<string, KubeObject>;
  blobs: Map<string, Buffer>;
  /** Every request as `METHOD path?query`. */
  requests: string[];
  /** Log text served for `/log` (per `ns/pod`). */
  logs: Map<string, string>;
  /** Watch events older than this revision get 410 Gone. */
  compactedRevision: number;
  put(type: ResourceType, obj: KubeObject): KubeObject;
  /** Ends every open watch stream (as a hub does on timeout or restart). */
  dropWatches(): void;
  close(): Promise<void>;
}

const key = (t: ResourceType, ns: string | undefined, name: string): string =>
  `${t.plural}/${t.namespaced ? (ns ?? '') : ''}/${name}`;

function route(url: URL): { type: ResourceType; ns?: string; name?: string; sub?: string } | undefined {
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let group = '';
  let rest: string[];
  if (parts[0] === 'api') rest = parts.slice(1);
  else if (parts[0] === 'apis') {
    group = parts[1] ?? '';
    rest = parts.slice(2);
  } else return undefined;
  const [version = '', ...tail] = rest;
  let ns: string | undefined;
  if (tail[0] === 'namespaces' && tail.length >= 3) {
    ns = tail[1];
    tail.splice(0, 2);
  }
  const type = typeByPlural(group, version, tail[0] ?? '');
  return type ? { type, ns, name: tail[1], sub: tail[2] } : undefined;
}

/** JSON with sorted keys, to compare objects regardless of key order. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    val !== null && typeof val === 'object' && !Array.isArray(val)
      ? Object.fromEntries(Object.entries(val).sort(([a], [b]) => a.localeCompare(b)))
      : val,
  );
}

/** Starts a fake hub on a free loopback port. */
export async function startFakeHub(opts: { token?: string } = {}): Promise<FakeHub> {
  let rev = 1;
  const history: Change[] = [];
  const watchers = new Set<(c: Change) => void>();
  const watchResponses = new Set<ServerResponse>();
  const send = (res: ServerResponse, code: number, body: unknown): void => {
    res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const commit = (type: Change['type'], obj: KubeObject): KubeObject => {
    const stored = structuredClone(obj);
    stored.metadata.resourceVersion = String(++rev);
    const c = { rv: rev, type, object: stored };
    history.push(c);
    for (const w of watchers) w(c);
    return stored;
  };
  const hub: FakeHub = {
    url: '',
    objects: new Map(),
    blobs: new Map(),
    requests: [],
    logs: new Map(),
    compactedRevision: 0,
    put(type, obj) {
      const o = commit(
        hub.objects.has(key(type, obj.metadata.namespace, obj.metadata.name ?? '')) ? 'MODIFIED' : 'ADDED',
        obj,
      );
      hub.objects.set(key(type, o.metadata.namespace, o.metadata.name ?? ''), o);
      return o;
    },
    dropWatches() {
      for (const r of watchResponses) r.end();
      watchResponses.clear();
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    hub.requests.push(`${req.method} ${url.pathname}${url.search}`);
    if (url.pathname === '/version') return send(res, 200, { major: '0', minor: '1', gitVersion: 'v0.1.0-fake' });
    if (opts.token && req.headers.authorization !== `Bearer ${opts.token}`)
      return send(res, 401, toStatus(new EdgeError('Unauthorized', 401, 'Unauthorized')));
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    if (url.pathname === BLOB_PATH && req.method === 'POST') {
      const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
      const existed = hub.blobs.has(digest);
      hub.blobs.set(digest, body);
      return send(res, existed ? 200 : 201, { digest, size: body.length });
    }
    const r = route(url);
    if (!r) return send(res, 404, toStatus(new NotFoundError('path', url.pathname)));
    const { type, ns, name, sub } = r;
    const k = name === undefined ? '' : key(type, ns, name);
    const existing = hub.objects.get(k);
    const json = (): KubeObject => JSON.parse(body.toString('utf8')) as KubeObject;
    if (name === undefined && req.method === 'GET') {
      const labels = parseLabelSelector(url.searchParams.get('labelSelector') ?? undefined);
      const fields = parseFieldSelector(url.searchParams.get('fieldSelector') ?? undefined);
      const match = (o: KubeObject): boolean =>
        (!type.namespaced || !ns || o.metadata.namespace === ns) &&
        matchesLabels(labels, o.metadata.labels) &&
        matchesFields(fields, o);
      const mine = (k2: string): boolean => k2.startsWith(`${type.plural}/`);
      if (url.searchParams.get('watch') === 'true') {
        const from = Number(url.searchParams.get('resourceVersion') ?? '0');
        if (from > 0 && from < hub.compactedRevision)
          return send(res, 410, toStatus(new GoneError(`too old resource version: ${from}`)));
        res.writeHead(200, { 'content-type': 'application/json' });
        const emit = (c: Change): void => {
          if (c.rv > from && c.object.kind === type.kind && match(c.object))
            res.write(`${JSON.stringify({ type: c.type, object: c.object })}\n`);
        };
        history.forEach(emit);
        watchers.add(emit);
        watchResponses.add(res);
        res.on('close', () => {
          watchers.delete(emit);
          watchResponses.delete(res);
        });
        return;
      }
      const items = [...hub.objects.entries()].filter(([k2, o]) => mine(k2) && match(o)).map(([, o]) => o);
      return send(res, 200, {
        apiVersion: 'v1',
        kind: `${type.kind}List`,
        metadata: { resourceVersion: String(rev) },
        items,
      });
    }
    if (name === undefined && req.method === 'POST') {
      const obj = validateObject(type, json());
      if (type.namespaced) obj.metadata.namespace = ns ?? obj.metadata.namespace;
      const k2 = key(type, obj.metadata.namespace, obj.metadata.name ?? '');
      if (hub.objects.has(k2)) throw new AlreadyExistsError(type.plural, obj.metadata.name ?? '');
      obj.metadata = { ...obj.metadata, uid: randomUUID(), generation: 1, creationTimestamp: new Date().toISOString() };
      const stored = commit('ADDED', obj);
      hub.objects.set(k2, stored);
      return send(res, 201, stored);
    }
    if (!existing) throw new NotFoundError(`${type.plural}${type.group ? `.${type.group}` : ''}`, name ?? '');
    if (req.method === 'GET' && sub === undefined) return send(res, 200, existing);
    if (sub === 'log') {
      const text = hub.logs.get(`${ns}/${name}`) ?? '';
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write(text);
      if (url.searchParams.get('follow') === 'true') return; // stays open until the client goes
      res.end();
      return;
    }
    if (sub === 'scale') {
      const spec = existing.spec as { replicas?: number };
      if (req.method === 'PUT') {
        const replicas = (json().spec as { replicas?: number }).replicas;
        const updated = commit('MODIFIED', { ...existing, spec: { ...spec, replicas } });
        hub.objects.set(k, updated);
      }
      const o = hub.objects.get(k) ?? existing;
      return send(res, 200, {
        apiVersion: 'autoscaling/v1',
        kind: 'Scale',
        metadata: { name, namespace: ns, resourceVersion: o.metadata.resourceVersion },
        spec: { replicas: (o.spec as { replicas?: number }).replicas },
        status: { replicas: 0 },
      });
    }
    if (req.method === 'PUT') {
      const obj = json();
      if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== existing.metadata.resourceVersion) {
        throw new ConflictError(
          `Operation cannot be fulfilled on ${type.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        );
      }
      validateObject(type, obj);
      const next =
        sub === 'status'
          ? { ...existing, status: obj.status }
          : {
              ...obj,
              metadata: {
                ...obj.metadata,
                uid: existing.metadata.uid,
                creationTimestamp: existing.metadata.creationTimestamp,
              },
              status: existing.status,
            };
      if (next.status === undefined) delete next.status;
      next.metadata.resourceVersion = existing.metadata.resourceVersion;
      if (canonical(next) === canonical(existing)) return send(res, 200, existing);
      const stored = commit('MODIFIED', next);
      hub.objects.set(k, stored);
      return send(res, 200, stored);
    }
    if (req.method === 'DELETE') {
      hub.objects.delete(k);
      const gone = commit('DELETED', existing);
      return send(res, 200, gone);
    }
    return send(res, 405, toStatus(new EdgeError('MethodNotAllowed', 405, 'method not allowed')));
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof InvalidError || err instanceof EdgeError) send(res, err.httpStatus, toStatus(err));
      else send(res, 500, toStatus(err));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  hub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return hub;
}
