/**
 * Fuzz target `blob-uploads`: sequences of uploads to the hub's content store through the real API
 * app (chunked bodies of random sizes, cut off mid-body, with right, wrong or malformed `?digest=`,
 * with a declared length) mixed with garbage collections, against a store with a small per-upload
 * limit and quota. Properties: every answer is a success with the right digest or a Kubernetes Status
 * (400, 413, 507; 500 only for a body cut off by its client); afterwards no temporary file is left,
 * the store's accounting equals what is on disk, and it never exceeds its quota.
 */
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { BLOB_PATH } from '../../../src/api/index.js';
import { silentLogger } from '../../../src/platform/index.js';
import { TokenAuth } from '../../../src/hub/auth/index.js';
import { BlobStore } from '../../../src/hub/blobs/index.js';
import { ObjectRegistry } from '../../../src/hub/registry/index.js';
import { createApiApp } from '../../../src/hub/server/index.js';
import { SqliteStore } from '../../../src/hub/store/index.js';
import type { FuzzTarget } from '../target.js';

const MAX_UPLOAD = 48 * 1024;
const QUOTA = 128 * 1024;

interface Ctx {
  dir: string;
  store: SqliteStore;
  blobs: BlobStore;
  app: ReturnType<typeof createApiApp>;
  token: string;
}

type Op =
  | {
      kind: 'upload';
      chunks: number[];
      fill: number;
      cutAfter: number | null;
      digest: 'none' | 'right' | 'wrong' | 'malformed';
      declare: boolean;
    }
  | { kind: 'collect' };

const upload = fc.record({
  kind: fc.constant('upload' as const),
  chunks: fc.array(fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 20 * 1024 })), { maxLength: 6 }),
  // Few distinct contents, so uploads of the same blob (dedupe) happen often.
  fill: fc.integer({ min: 0, max: 3 }),
  cutAfter: fc.option(fc.integer({ min: 0, max: 5 })),
  digest: fc.constantFrom('none' as const, 'right' as const, 'wrong' as const, 'malformed' as const),
  declare: fc.boolean(),
});
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: upload },
  { weight: 1, arbitrary: fc.constant({ kind: 'collect' as const }) },
);

function bytesOf(o: Extract<Op, { kind: 'upload' }>): Uint8Array[] {
  return o.chunks.map((n, i) => new Uint8Array(n).fill((o.fill * 31 + i) & 0xff));
}

async function send(ctx: Ctx, o: Extract<Op, { kind: 'upload' }>): Promise<void> {
  const chunks = bytesOf(o);
  const total = chunks.reduce((a, c) => a + c.byteLength, 0);
  const digest = `sha256:${createHash('sha256').update(Buffer.concat(chunks)).digest('hex')}`;
  const cut = o.cutAfter !== null && o.cutAfter < chunks.length ? o.cutAfter : null;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      chunks.forEach((chunk, i) => {
        if (cut !== null && i === cut) c.error(new Error('client went away'));
        else if (cut === null || i < cut) c.enqueue(chunk);
      });
      if (cut === null) c.close();
    },
  });
  const query = {
    none: '',
    right: `?digest=${digest}`,
    wrong: `?digest=sha256:${'0'.repeat(64)}`,
    malformed: '?digest=sha256:../x',
  }[o.digest];
  const headers: Record<string, string> = {
    authorization: `Bearer ${ctx.token}`,
    'content-type': 'application/octet-stream',
  };
  if (o.declare) headers['content-length'] = String(total);
  const res = await ctx.app.request(
    new Request(`http://hub${BLOB_PATH}${query}`, { method: 'POST', headers, body, duplex: 'half' }),
  );
  const json = (await res.json()) as { digest?: string; size?: number; kind?: string; code?: number; reason?: string };
  if (res.status === 200 || res.status === 201) {
    if (cut !== null) throw new Error(`an upload cut off by its client was stored (${res.status})`);
    if (o.digest === 'wrong' || o.digest === 'malformed')
      throw new Error(`an upload with a ${o.digest} digest was stored`);
    if (total > MAX_UPLOAD) throw new Error(`an upload of ${total} bytes passed the ${MAX_UPLOAD}-byte limit`);
    if (json.digest !== digest || json.size !== total)
      throw new Error(`stored as ${json.digest}/${json.size}, expected ${digest}/${total}`);
    return;
  }
  if (json.kind !== 'Status' || json.code !== res.status)
    throw new Error(`answer ${res.status} is not a Status: ${JSON.stringify(json).slice(0, 200)}`);
  const allowed = cut !== null ? [400, 413, 507, 500] : [400, 413, 507];
  if (!allowed.includes(res.status)) throw new Error(`unexpected ${res.status} ${json.reason}`);
  if (res.status === 400 && o.digest !== 'wrong' && o.digest !== 'malformed')
    throw new Error(`400 for a well-formed upload: ${JSON.stringify(json)}`);
}

export const target: FuzzTarget<Ctx, Op[]> = {
  name: 'blob-uploads',
  async setup() {
    const dir = await mkdtemp(join(tmpdir(), 'fuzz-blobs-'));
    const logger = silentLogger();
    const store = await SqliteStore.create({ path: join(dir, 'hub.db'), logger });
    const api = new ObjectRegistry({ store, clock: { now: () => Date.now() }, logger });
    const auth = await TokenAuth.create({ dataDir: dir, logger });
    const blobs = await BlobStore.create({ dir: join(dir, 'blobs'), maxBytes: MAX_UPLOAD, quotaBytes: QUOTA });
    const app = createApiApp({
      api,
      auth,
      blobs,
      logs: { stream: async function* () {} },
      logger,
      version: { gitVersion: 'fuzz' },
    });
    return { dir, store, blobs, app, token: auth.adminToken };
  },
  arbitrary: () => fc.array(op, { minLength: 1, maxLength: 8 }),
  async check(ctx, ops) {
    await Promise.all(
      // Two lanes run at once, so uploads race each other and the collector.
      [ops.filter((_, i) => i % 2 === 0), ops.filter((_, i) => i % 2 === 1)].map(async (lane) => {
        for (const o of lane) {
          if (o.kind === 'upload') await send(ctx, o);
          else await ctx.blobs.collect(new Set(), Date.now() + 1000);
        }
      }),
    );
    const tmp = readdirSync(join(ctx.dir, 'blobs', 'tmp'));
    if (tmp.length > 0) throw new Error(`${tmp.length} temporary file(s) left after the uploads ended`);
    const onDisk = readdirSync(join(ctx.dir, 'blobs', 'sha256')).reduce(
      (a, n) => a + statSync(join(ctx.dir, 'blobs', 'sha256', n)).size,
      0,
    );
    if (ctx.blobs.usedBytes !== onDisk)
      throw new Error(`store counts ${ctx.blobs.usedBytes} bytes, disk holds ${onDisk}`);
    if (onDisk > QUOTA) throw new Error(`store holds ${onDisk} bytes, past its quota of ${QUOTA}`);
    // Start the next case empty.
    await ctx.blobs.collect(new Set(), Date.now() + 1000);
    if (ctx.blobs.usedBytes !== 0) throw new Error(`${ctx.blobs.usedBytes} bytes counted after collecting everything`);
  },
  async teardown(ctx) {
    await ctx.store.close();
    await rm(ctx.dir, { recursive: true, force: true });
  },
};
