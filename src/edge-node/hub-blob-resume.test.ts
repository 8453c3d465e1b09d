/**
 * A component download over a link that drops: the real hub's API app served on loopback, reached
 * through a small TCP proxy that cuts the connection after a number of bytes. The node resumes with a
 * `Range` from what it kept — within one fetch, and in a new fetcher (an agent restarted) from the
 * partial file — on the compressed stream, so the bytes fetched in all are about the encoded size once.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../hub/testing/index.js';
import { HubBlobError, hubBlobFetcher } from './hub-blob.js';

/** About 3 MiB that compresses several-fold, as a JS component does. */
function component(): Buffer {
  const lines: string[] = [];
  let x = 11;
  let size = 0;
  for (let i = 0; size < 3 * 1024 * 1024; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const line = `export function g${i}(a, b) { return a * ${x % 10007} - b / ${(x >> 8) % 997}; }\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join(''));
}

const BLOB = component();
const DIGEST = `sha256:${createHash('sha256').update(BLOB).digest('hex')}`;

/** What the proxy saw of one connection. */
interface Seen {
  /** The request head, as text. */
  head: string;
  /** Bytes of answer (head and body) passed to the node. */
  answered: number;
}

/**
 * A TCP proxy to the hub. The next `cuts` connections pass `cutAfter` bytes of answer, then both sides
 * are closed; later ones pass everything, or — with `downAfterCut` — are closed at once (a link that
 * stays down), until `refuse` is cleared.
 */
class CuttingProxy {
  readonly seen: Seen[] = [];
  cutAfter = 0;
  cuts = 0;
  downAfterCut = false;
  refuse = false;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();

  async start(target: number): Promise<string> {
    this.#server = createServer((client) => {
      this.#sockets.add(client);
      client.on('close', () => this.#sockets.delete(client));
      client.on('error', () => undefined);
      if (this.refuse) return void client.destroy();
      const seen: Seen = { head: '', answered: 0 };
      this.seen.push(seen);
      const cut = this.cuts > 0 ? this.cutAfter : undefined;
      if (this.cuts > 0) this.cuts--;
      if (cut !== undefined && this.downAfterCut) this.refuse = true;
      const hub = createConnection({ host: '127.0.0.1', port: target });
      hub.on('error', () => client.destroy());
      client.on('close', () => hub.destroy());
      client.on('data', (d: Buffer) => {
        if (seen.head === '') seen.head = d.toString('latin1');
        hub.write(d);
      });
      hub.on('data', (d: Buffer) => {
        const room = cut === undefined ? d.byteLength : cut - seen.answered;
        seen.answered += Math.min(room, d.byteLength);
        if (room > 0) client.write(d.subarray(0, room));
        if (cut !== undefined && seen.answered >= cut) {
          client.end(() => client.destroy());
          hub.destroy();
        }
      });
      hub.on('end', () => client.end());
    });
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Closes every open connection (a kept-alive one would carry the next test's request uncut). */
  dropAll(): void {
    for (const s of this.#sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise((r) => this.#server?.close(r));
  }
}

/** The value of `name` in a request head. */
function headerOf(head: string, name: string): string | undefined {
  const m = new RegExp(`^${name}: (.*)$`, 'im').exec(head);
  return m?.[1]?.trim();
}

let hub: TestHub;
let proxy: CuttingProxy;
let base: string;
let dir: string;
let encodedSize: number;

beforeAll(async () => {
  hub = await startTestHub({ blobMaxBytes: 8 * 1024 * 1024 });
  await hub.blobs.put(BLOB);
  proxy = new CuttingProxy();
  base = await proxy.start(Number(new URL(hub.url).port));
  // The encoded size, from the hub directly (this also makes the encoded form, once).
  const res = await fetch(`${hub.url}/apis/edgeplane.io/v1/blobs/${DIGEST}`, {
    headers: { authorization: `Bearer ${hub.adminToken}`, 'accept-encoding': 'br' },
  });
  expect(res.headers.get('content-encoding')).toBe('br');
  encodedSize = Number(res.headers.get('content-length'));
  await res.arrayBuffer();
});
afterAll(async () => {
  await proxy.close();
  await hub.close();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-blob-partial-'));
  proxy.dropAll();
  proxy.seen.length = 0;
  proxy.cuts = 0;
  proxy.downAfterCut = false;
  proxy.refuse = false;
  return () => rm(dir, { recursive: true, force: true });
});

const fetcher = (): ReturnType<typeof hubBlobFetcher> =>
  hubBlobFetcher({ hubBase: base, token: hub.adminToken, partialDir: dir, maxBytes: 8 * 1024 * 1024 });

describe('a blob download over a link that drops', () => {
  it('travels compressed and resumes within the fetch from the byte it stopped at', async () => {
    expect(encodedSize).toBeLessThan(BLOB.byteLength / 3);
    const cut = Math.floor(encodedSize / 2);
    proxy.cutAfter = cut;
    proxy.cuts = 1;
    const bytes = await fetcher()(DIGEST);
    expect(Buffer.from(bytes).equals(BLOB)).toBe(true);

    expect(proxy.seen.length).toBe(2);
    const [first, second] = proxy.seen as [Seen, Seen];
    expect(headerOf(first.head, 'accept-encoding')).toBe('br');
    expect(headerOf(first.head, 'range')).toBeUndefined();
    // The second request starts where the first answer's body stopped.
    const range = /^bytes=(\d+)-$/.exec(headerOf(second.head, 'range') ?? '');
    expect(range).not.toBeNull();
    const resumedAt = Number(range![1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThan(cut);
    expect(headerOf(second.head, 'if-range')).toMatch(/^"sha256:[0-9a-f]{64}\.br\.\d+\.\d+"$/);
    // Fetched in all: about the encoded size once (two answer heads on top), not twice.
    expect(first.answered).toBe(cut);
    const total = first.answered + second.answered;
    expect(total).toBeGreaterThanOrEqual(encodedSize);
    expect(total).toBeLessThan(encodedSize + 2048);
    expect(await readdir(dir)).toEqual([]);
  });

  it('resumes in a new fetcher (an agent restarted) from the partial file, and drops a stale one', async () => {
    // The link stays down after the cut: the fetch fails, keeping what came.
    proxy.cutAfter = 100_000;
    proxy.cuts = 1;
    proxy.downAfterCut = true;
    await expect(fetcher()(DIGEST)).rejects.toBeInstanceOf(HubBlobError);
    const hex = DIGEST.slice('sha256:'.length);
    expect((await readdir(dir)).sort()).toEqual([`${hex}.meta`, `${hex}.part`]);

    proxy.refuse = false;
    proxy.dropAll();
    proxy.seen.length = 0;
    expect(Buffer.from(await fetcher()(DIGEST)).equals(BLOB)).toBe(true);
    expect(proxy.seen.length).toBe(1);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(headerOf(proxy.seen[0]!.head, 'range') ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(90_000);
    expect(resumedAt).toBeLessThan(100_000);
    expect(proxy.seen[0]!.answered).toBeLessThan(encodedSize - resumedAt + 2048);
    expect(await readdir(dir)).toEqual([]);

    // A partial under a validator the hub no longer has: the hub answers the whole, the node starts over.
    await writeFile(join(dir, `${hex}.part`), Buffer.alloc(5000, 7));
    await writeFile(join(dir, `${hex}.meta`), JSON.stringify({ etag: '"sha256:old.br.1.1"', encoding: 'br' }));
    proxy.dropAll();
    proxy.seen.length = 0;
    expect(Buffer.from(await fetcher()(DIGEST)).equals(BLOB)).toBe(true);
    expect(proxy.seen.length).toBe(1);
    expect(headerOf(proxy.seen[0]!.head, 'range')).toBe('bytes=5000-');
    expect(existsSync(join(dir, `${hex}.part`))).toBe(false);
  });
});
