/**
 * Server-side tables: a client that asks for `application/json;as=Table;g=meta.k8s.io;v=v1` (kubectl
 * `get`, including `get -w`) before plain JSON gets a `meta.k8s.io Table` instead of the object or
 * list, with rows written from the same column definitions `edgectl get` prints.
 */
import {
  BadRequestError,
  IncludeObject,
  TABLE_VERSIONS,
  toTable,
  type KubeObject,
  type ObjectList,
  type Table,
  type TableVersion,
  type WatchFrame,
} from '../../api/index.js';
import { acceptsPlainJson, parseAccept } from './accept.js';
import { WatchEncoder } from './watch-encoder.js';

/** What a table request asked for. */
export interface TableRequest {
  version: TableVersion;
  includeObject: IncludeObject;
}

/** The content type of a Table answer, as kube-apiserver writes it. */
export function tableContentType(version: TableVersion): string {
  return `application/json;as=Table;v=${version};g=meta.k8s.io`;
}

/**
 * The table the client asked for, or undefined when it prefers the plain object (or list). Ranges
 * for other representations (protobuf, PartialObjectMetadata) are passed over for the next one.
 */
export function negotiateTable(
  accept: string | undefined,
  includeObject: string | undefined,
): TableRequest | undefined {
  for (const range of parseAccept(accept)) {
    const { as, g, v } = range.params;
    if (range.type === 'application/json' && as === 'Table' && g === 'meta.k8s.io') {
      const version = TABLE_VERSIONS.find((x) => x === v);
      if (version) return { version, includeObject: parseIncludeObject(includeObject) };
      continue;
    }
    if (acceptsPlainJson(range)) return undefined;
  }
  return undefined;
}

function parseIncludeObject(v: string | undefined): IncludeObject {
  if (v === undefined || v === '') return 'PartialObjectMetadata';
  const parsed = IncludeObject.safeParse(v);
  if (!parsed.success)
    throw new BadRequestError(
      `invalid includeObject "${v.slice(0, 40)}": must be None, Object or PartialObjectMetadata`,
    );
  return parsed.data;
}

/** A Table of a list (keeps its revision and continue token, so `--chunk-size` pages through tables). */
export function listTable(list: ObjectList, kind: string, req: TableRequest, now = Date.now()): Table {
  return toTable(kind, list.items, { ...req, now, listMeta: list.metadata });
}

/** A Table of one object. */
export function objectTable(obj: KubeObject, req: TableRequest, now = Date.now()): Table {
  return toTable(obj.kind, [obj], { ...req, now, listMeta: { resourceVersion: obj.metadata.resourceVersion } });
}

/** The JSON response of a Table. */
export function tableResponse(table: Table): Response {
  const version = table.apiVersion === 'meta.k8s.io/v1beta1' ? 'v1beta1' : 'v1';
  return new Response(JSON.stringify(table), { status: 200, headers: { 'content-type': tableContentType(version) } });
}

/**
 * Watch frames whose objects are one-row Tables (as kube-apiserver sends to `kubectl get -w`).
 * Frames are per watcher (the row's age is computed now), so nothing is shared through the cache.
 * BOOKMARK and ERROR frames pass as they are.
 */
export class TableWatchEncoder extends WatchEncoder {
  constructor(
    private readonly kind: string,
    private readonly req: TableRequest,
  ) {
    super();
  }

  override encode(frame: WatchFrame): Uint8Array {
    if (frame.type === 'BOOKMARK' || frame.type === 'ERROR') return super.encode(frame);
    const table = toTable(this.kind, [frame.object], { ...this.req, now: Date.now() });
    return Buffer.from(`${JSON.stringify({ type: frame.type, object: table })}\n`);
  }
}
