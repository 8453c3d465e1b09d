/**
 * A hub whose SQLite store fails for good (its write-ahead log cannot be synced: the disk said EIO)
 * stops itself instead of answering on with a store that refuses every write while its watchers hear
 * nothing: the write is refused with 503 naming why, an open watch ends, the port closes, and
 * `onFatal` is told once (`edge-hub` then exits 1 for its supervisor to restart it).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { silentLogger } from '../platform/index.js';
import { until } from '../../test/support/poll.js';
import { Hub } from './hub.js';

let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Whether something accepts connections on 127.0.0.1:`port`. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

it('stops itself when its store fails for good: the write refused with why, the watch ended, the port closed, onFatal told once', async () => {
  dir = await mkdtemp(join(tmpdir(), 'hub-fatal-'));
  let diskFails = false;
  const fatal: Error[] = [];
  const hub = await Hub.create({
    dataDir: dir,
    host: '127.0.0.1',
    port: 0,
    logger: silentLogger(),
    insecureHttp: true,
    store: {
      kind: 'sqlite',
      syncLog: () =>
        diskFails
          ? Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }))
          : Promise.resolve(),
    },
    onFatal: (err) => fatal.push(err),
  });
  const { port, url } = await hub.start();
  const headers = { authorization: `Bearer ${hub.auth.adminToken}`, 'content-type': 'application/json' };
  const path = `${url}/api/v1/namespaces/default/configmaps`;
  const configMap = (name: string): string =>
    JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' } });

  expect((await fetch(path, { method: 'POST', headers, body: configMap('before') })).status).toBe(201);
  const watch = await fetch(`${path}?watch=true&resourceVersion=0`, { headers });
  expect(watch.status).toBe(200);
  const reader = watch.body!.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  let seen = '';
  await until('the watch to replay the first ConfigMap', async () => {
    const { value } = await reader.read();
    seen += new TextDecoder().decode(value);
    return seen.includes('"before"');
  });
  // The watch is read to its end from now on.
  const ended = (async () => {
    for (;;) if ((await reader.read().catch(() => ({ done: true }))).done) return true;
  })();

  diskFails = true;
  const refused = await fetch(path, { method: 'POST', headers, body: configMap('after') });
  expect(refused.status).toBe(503);
  const status = (await refused.json()) as { message: string };
  expect(status.message).toMatch(/store failed: its write-ahead log could not be synced to disk \(EIO/);

  expect(await ended).toBe(true);
  await until('onFatal told', () => fatal.length > 0, 10_000, 20);
  expect(fatal.map((e) => e.message)).toEqual([expect.stringMatching(/write-ahead log could not be synced/)]);
  expect(await accepts(port)).toBe(false);
  await hub.stop(); // already stopped: a no-op
  expect(fatal).toHaveLength(1);
});
