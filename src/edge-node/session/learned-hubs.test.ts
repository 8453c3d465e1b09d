/**
 * A node remembers the hubs it learned (`hubs.json` in its data dir): a session learns them from the
 * hub of its `--server` (a real WebSocket to a FakeHub), the process "restarts" (a new HubEndpoints and
 * session on the same data dir) with its `--server` hub down, and the new session reaches a learned hub
 * without being told about it again. A damaged or oversized file is ignored, never fatal.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../platform/index.js';
import { FakeHub, waitFor } from '../testing/fake-hub.js';
import { HubEndpoints } from './hub-endpoints.js';
import { HubSession, type SessionEvent } from './hub-session.js';
import { LEARNED_HUBS_FILE, LearnedHubsFile } from './learned-hubs.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'edge-learned-hubs-'));
  dirs.push(d);
  return d;
}

const nodeInfo = () => ({
  name: 'node-r',
  labels: {},
  address: '10.0.0.8',
  meshPort: 7500,
  arch: 'arm64',
  os: 'linux',
  runtimes: ['wasm'],
  capacity: { cpu: '1', memory: '1Gi', pods: '10' },
  agentVersion: 't',
});

function session(hubs: HubEndpoints, token: string, events: SessionEvent[]): HubSession {
  return new HubSession({
    hubUrl: hubs,
    token,
    logger: silentLogger(),
    backoff: { initialMs: 20, maxMs: 60_000, spreadMs: 50 },
    nodeInfo,
    onMessage: () => undefined,
    onEvent: (ev) => events.push(ev),
  });
}

describe('learned hubs kept in the data dir', () => {
  it('are dialled after a restart when the --server hub is down', async () => {
    const dir = dataDir();
    const a = await FakeHub.start();
    const b = await FakeHub.start();
    const [urlA, urlB] = [a.url, b.url];
    const first: SessionEvent[] = [];
    const s1 = session(new HubEndpoints([urlA], { learned: new LearnedHubsFile(dir, silentLogger()) }), a.token, first);
    try {
      s1.start();
      await waitFor(() => first.find((e) => e.type === 'connected'), 5000, 'connected to a');
      expect(a.send('node-r', { type: 'hubs', urls: [urlA, urlB] })).toBe(true);
      await waitFor(() => s1.endpoints.all.length === 2, 5000, 'the hub list learned');
      // Kept as soon as learned: only the learned hub, not the given one.
      expect(JSON.parse(readFileSync(join(dir, LEARNED_HUBS_FILE), 'utf8'))).toEqual({ hubs: [urlB] });
    } finally {
      await s1.stop();
    }
    await a.stop();

    // The restart: given only a (down now), the node dials b, which it learned on the earlier run.
    const again: SessionEvent[] = [];
    const hubs = new HubEndpoints([urlA], { learned: new LearnedHubsFile(dir, silentLogger()) });
    expect(hubs.all).toEqual([urlA, urlB]);
    expect(hubs.current).toBe(urlA);
    const s2 = session(hubs, b.token, again);
    try {
      s2.start();
      await waitFor(() => again.find((e) => e.type === 'connected'), 5000, 'connected to b after the restart');
      expect(again.find((e) => e.type === 'connected')).toMatchObject({ hub: urlB });
      expect(b.messages('hello', 'node-r')).toHaveLength(1);
      // b lists only itself: a stays (given), b stays (learned, and in use); the file still holds b.
      expect(b.send('node-r', { type: 'hubs', urls: [urlB] })).toBe(true);
      await waitFor(() => b.messages('hello', 'node-r').length === 1, 5000, 'still on b');
      expect(s2.endpoints.all).toEqual([urlA, urlB]);
      expect(JSON.parse(readFileSync(join(dir, LEARNED_HUBS_FILE), 'utf8'))).toEqual({ hubs: [urlB] });
    } finally {
      await s2.stop();
      await b.stop();
    }
  });

  it('keeps what changes only, and ignores a damaged, oversized or other-scheme list', () => {
    const dir = dataDir();
    const file = join(dir, LEARNED_HUBS_FILE);
    const store = new LearnedHubsFile(dir, silentLogger());
    expect(store.load()).toEqual([]);
    const hubs = new HubEndpoints(['https://a:1'], { learned: store });
    expect(hubs.learn(['https://a:1', 'https://b:1', 'http://plain:1'])).toBe(true);
    expect(store.load()).toEqual(['https://b:1']);
    writeFileSync(file, '{"hubs":["https://c:1"]}\n');
    // No change, no write: the file is left as it is.
    expect(hubs.learn(['https://b:1'])).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe('{"hubs":["https://c:1"]}\n');

    // A plain-HTTP hub kept next to a TLS --server is not dialled (as from a hubs frame).
    writeFileSync(file, JSON.stringify({ hubs: ['http://plain:1', 'wss://d:1'] }));
    expect(new HubEndpoints(['https://a:1'], { learned: store }).all).toEqual(['https://a:1', 'wss://d:1']);
    for (const damaged of [
      'not json',
      '{"hubs":"https://x:1"}',
      JSON.stringify({ hubs: Array(65).fill('https://x:1') }),
    ]) {
      writeFileSync(file, damaged);
      expect(new HubEndpoints(['https://a:1'], { learned: store }).all).toEqual(['https://a:1']);
    }
  });
});
