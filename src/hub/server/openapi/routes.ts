/**
 * `GET /openapi/v2` and `GET /openapi/v3[/{group-version}]`, as kube-apiserver serves them
 * (kube-openapi's handler and handler3): content negotiated on Accept, an ETag (the SHA-512 of the
 * body) honoured in If-None-Match, and v3 documents addressed by `?hash=<etag>`: a stale hash is
 * redirected to the current one, a current one is cacheable for a year (kubectl caches them under
 * its cache dir). The documents are built on the first request, a step per event-loop turn, and kept.
 */
import { createHash } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { NotFoundError } from '../../../api/index.js';
import type { ApiEnv } from '../types.js';
import { buildDefinitions } from './definitions.js';
import { buildDocuments, type OpenApiDocuments } from './documents.js';
import { encodeOpenApiV2 } from './v2-proto.js';
import { setImmediate as nextTurn } from 'node:timers/promises';

/** A serialized body with its ETag (unquoted). */
interface Body {
  bytes: Uint8Array;
  etag: string;
}

interface ServedV3 {
  index: Body;
  v3: Map<string, Body>;
}

interface ServedV2 {
  json: Body;
  proto: Body;
}

const body = (bytes: Uint8Array): Body => ({
  bytes,
  etag: createHash('sha512').update(bytes).digest('hex').toUpperCase(),
});
const jsonBody = (value: unknown): Body => body(new TextEncoder().encode(JSON.stringify(value)));

/** The media types of kube-openapi: the v2 protobuf under two names (with `@` and with `.`). */
const V2_PROTO = ['com.github.proto-openapi.spec.v2@v1.0+protobuf', 'com.github.proto-openapi.spec.v2.v1.0+protobuf'];
const V2_PROTO_CONTENT_TYPE = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

/** The next turn of the event loop: each step of the generation runs in its own. */

/**
 * The documents, generated on first use in steps of their own event-loop turns (the definitions, a
 * few hundred milliseconds on a cold process; the v2 protobuf, about as long, only once v2 is asked
 * for) and kept for the hub's life: they depend on the schemas alone.
 */
class OpenApiCache {
  private docs: Promise<OpenApiDocuments> | undefined;
  private v3: Promise<ServedV3> | undefined;
  private v2: Promise<ServedV2> | undefined;

  constructor(private readonly version: string) {}

  private documents(): Promise<OpenApiDocuments> {
    this.docs ??= retryable(
      async () => {
        await nextTurn();
        const defs = buildDefinitions();
        await nextTurn();
        return buildDocuments(this.version, defs);
      },
      () => (this.docs = undefined),
    );
    return this.docs;
  }

  servedV3(): Promise<ServedV3> {
    this.v3 ??= retryable(
      async () => {
        const docs = await this.documents();
        const v3 = new Map<string, Body>();
        for (const [gv, doc] of docs.v3) v3.set(gv, jsonBody(doc));
        const paths = Object.fromEntries(
          [...v3].map(([gv, b]) => [gv, { serverRelativeURL: `/openapi/v3/${gv}?hash=${b.etag}` }]),
        );
        return { index: jsonBody({ paths }), v3 };
      },
      () => (this.v3 = undefined),
    );
    return this.v3;
  }

  servedV2(): Promise<ServedV2> {
    this.v2 ??= retryable(
      async () => {
        const docs = await this.documents();
        await nextTurn();
        const json = jsonBody(docs.v2);
        await nextTurn();
        return { json, proto: body(encodeOpenApiV2(docs.v2)) };
      },
      () => (this.v2 = undefined),
    );
    return this.v2;
  }
}

/** Runs `build`; when it fails, `reset` lets the next request try again instead of failing for good. */
function retryable<T>(build: () => Promise<T>, reset: () => void): Promise<T> {
  return build().catch((err: unknown) => {
    reset();
    throw err;
  });
}

/** Media ranges of an Accept header in preference order (q-values honoured, q=0 dropped). */
export function acceptRanges(accept: string | undefined): string[] {
  const ranges = (accept === undefined || accept.trim() === '' ? '*/*' : accept).split(',').map((part, i) => {
    const [range = '', ...params] = part.split(';').map((s) => s.trim());
    const qParam = params.find((p) => p.startsWith('q='));
    const qValue = qParam === undefined ? 1 : Number(qParam.slice(2));
    return { range: range.toLowerCase(), q: Number.isFinite(qValue) ? qValue : 0, i };
  });
  return ranges
    .filter((r) => r.q > 0 && r.range !== '')
    .sort((a, b) => b.q - a.q || a.i - b.i)
    .map((r) => r.range);
}

/** Whether `range` (`application/*`, `*\/*`, `application/json`) admits `type/subtype`. */
function admits(range: string, type: string, subtype: string): boolean {
  const [t = '', s = ''] = range.split('/');
  return (t === '*' || t === type) && (s === '*' || s === subtype);
}

/** If-None-Match lists our ETag (or `*`). */
function notModified(c: Context, etag: string): boolean {
  const header = c.req.header('if-none-match');
  if (!header) return false;
  return header.split(',').some((v) => {
    const tag = v.trim().replace(/^W\//, '');
    return tag === '*' || tag === `"${etag}"`;
  });
}

function send(c: Context, b: Body, contentType: string, extra: Record<string, string> = {}): Response {
  const headers: Record<string, string> = { etag: `"${b.etag}"`, vary: 'Accept', ...extra };
  if (notModified(c, b.etag)) return new Response(null, { status: 304, headers });
  return new Response(c.req.method === 'HEAD' ? null : b.bytes, {
    status: 200,
    headers: { ...headers, 'content-type': contentType, 'content-length': String(b.bytes.byteLength) },
  });
}

function notAcceptable(c: Context, offered: string): Response {
  return c.json(
    {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `none of the accepted media types (${c.req.header('accept') ?? '*/*'}) is served here; offered: ${offered}`,
      reason: 'NotAcceptable',
      code: 406,
    },
    406,
  );
}

/** Mounts the OpenAPI routes; `version` is the hub's (the documents' `info.version`). */
export function mountOpenApiRoutes(app: Hono<ApiEnv>, version: string): void {
  const cache = new OpenApiCache(version);

  app.get('/openapi/v2', async (c) => {
    const ranges = acceptRanges(c.req.header('accept'));
    const proto = (r: string) =>
      r !== '*/*' && r !== 'application/*' && V2_PROTO.some((s) => admits(r, 'application', s));
    for (const range of ranges) {
      if (proto(range)) return send(c, (await cache.servedV2()).proto, V2_PROTO_CONTENT_TYPE);
      if (admits(range, 'application', 'json')) return send(c, (await cache.servedV2()).json, 'application/json');
    }
    return notAcceptable(c, `application/json, ${V2_PROTO_CONTENT_TYPE}`);
  });

  app.get('/openapi/v3', async (c) => send(c, (await cache.servedV3()).index, 'application/json'));

  app.get('/openapi/v3/*', async (c) => {
    const gv = c.req.path.slice('/openapi/v3/'.length).replace(/\/+$/, '');
    const doc = (await cache.servedV3()).v3.get(gv);
    if (!doc) throw new NotFoundError('', '', `no OpenAPI v3 document for "${gv}"`);
    if (!acceptRanges(c.req.header('accept')).some((r) => admits(r, 'application', 'json')))
      return notAcceptable(c, 'application/json');
    const hash = c.req.query('hash');
    if (hash !== undefined && hash !== '') {
      if (hash !== doc.etag) return c.redirect(`/openapi/v3/${gv}?hash=${doc.etag}`, 301);
      const expires = new Date(Date.now() + 365 * 24 * 3600 * 1000).toUTCString();
      return send(c, doc, 'application/json', { 'cache-control': 'public, immutable', expires });
    }
    return send(c, doc, 'application/json');
  });
}
