import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../platform/index.js';
import { FakeHub, waitFor } from '../testing/fake-hub.js';
import { HubEndpoints, restBase } from './hub-endpoints.js';
import { HubSession, type SessionEvent } from './hub-session.js';

describe('HubEndpoints', () => {
  it('starts on the first hub, moves round the list on failures, and says when every hub failed in a row', () => {
    const hubs = new HubEndpoints(['https://a:1', 'https://b:1/', 'https://a:1', 'wss://c:1']);
    expect(hubs.all).toEqual(['https://a:1', 'https://b:1/', 'wss://c:1']);
    const moves: string[] = [];
    hubs.onChange((to, from) => moves.push(`${from} -> ${to}`));
    expect(hubs.current).toBe('https://a:1');
    expect(hubs.failed()).toBe(false);
    expect(hubs.currentBase).toBe('https://b:1');
    expect(hubs.failed()).toBe(false);
    expect(hubs.currentBase).toBe('https://c:1');
    expect(hubs.failed()).toBe(true); // a, b and c failed in a row
    expect(hubs.current).toBe('https://a:1');
    hubs.succeeded();
    expect(hubs.failed()).toBe(false); // a new round
    expect(moves).toEqual([
      'https://a:1 -> https://b:1/',
      'https://b:1/ -> wss://c:1',
      'wss://c:1 -> https://a:1',
      'https://a:1 -> https://b:1/',
    ]);
  });

  it('with one hub, stays on it and reports every failure as a full round', () => {
    const hubs = HubEndpoints.of('http://only:7400');
    expect(hubs.failed()).toBe(true);
    expect(hubs.current).toBe('http://only:7400');
    expect(HubEndpoints.of(hubs)).toBe(hubs);
    expect(() => new HubEndpoints([' '])).toThrow(/at least one hub URL/);
    expect(restBase('ws://h:1/x/')).toBe('http://h:1/x');
  });
});

describe('HubEndpoints.learn', () => {
  it('adds the hubs a hub lists after the given ones, keeps the given ones and the one in use', () => {
    const hubs = new HubEndpoints(['https://a:1']);
    expect(hubs.learn(['https://a:1/', 'https://b:1', 'http://plain:1', 'wss://c:1'])).toBe(true);
    // a is known (however spelled); a plain-HTTP hub next to TLS ones is ignored.
    expect(hubs.all).toEqual(['https://a:1', 'https://b:1', 'wss://c:1']);
    expect(hubs.learn(['https://b:1', 'wss://c:1'])).toBe(false);
    hubs.failed();
    expect(hubs.current).toBe('https://b:1');
    // b disappears from the list (its record went quiet), but the node is on it: it stays, still current.
    expect(hubs.learn(['https://a:1', 'wss://C:1/'])).toBe(true);
    expect(hubs.all).toEqual(['https://a:1', 'wss://C:1/', 'https://b:1']);
    expect(hubs.current).toBe('https://b:1');
    // An empty list takes nothing the node was given.
    hubs.failed();
    expect(hubs.current).toBe('https://a:1');
    hubs.learn([]);
    expect(hubs.all).toEqual(['https://a:1']);
  });
});

describe('a session with several hubs', () => {
  const nodeInfo = () => ({
    name: 'node-f',
    labels: {},
    address: '10.0.0.9',
    meshPort: 7500,
    arch: 'arm64',
    os: 'linux',
    runtimes: ['wasm'],
    capacity: { cpu: '1', memory: '1Gi', pods: '10' },
    agentVersion: 't',
  });

  it('learns the other hubs from the hub it is on (given only one) and fails over to them', async () => {
    const a = await FakeHub.start();
    const b = await FakeHub.start();
    const events: SessionEvent[] = [];
    const session = new HubSession({
      hubUrl: a.url,
      token: a.token,
      logger: silentLogger(),
      backoff: { initialMs: 20, maxMs: 60_000, spreadMs: 50 },
      nodeInfo,
      onMessage: () => undefined,
      onEvent: (ev) => events.push(ev),
    });
    try {
      session.start();
      await waitFor(() => events.find((e) => e.type === 'connected'), 5000, 'connected to a');
      expect(a.send('node-f', { type: 'hubs', urls: [a.url, b.url] })).toBe(true);
      await waitFor(() => session.endpoints.all.length === 2, 5000, 'the hub list learned');
      expect(session.endpoints.all).toEqual([a.url, b.url]);
      await a.stop();
      await waitFor(() => events.filter((e) => e.type === 'connected').length === 2, 5000, 'connected to b');
      expect(session.endpoints.current).toBe(b.url);
      expect(b.messages('hello', 'node-f')).toHaveLength(1);
    } finally {
      await session.stop();
      await b.stop();
    }
  });

  it('skips a hub that is down at start, moves to the other when its hub dies, and finds it again after trying the rest', async () => {
    const a = await FakeHub.start();
    const b = await FakeHub.start();
    const [urlA, urlB] = [a.url, b.url];
    // A hub that was never there: nothing listens on this port once the server is closed.
    const dead = await FakeHub.start();
    const deadUrl = dead.url;
    await dead.stop();
    const events: SessionEvent[] = [];
    const session = new HubSession({
      hubUrl: [deadUrl, urlA, urlB],
      token: a.token,
      logger: silentLogger(),
      // A long back-off: the moves below must come from trying another hub, not from backing off.
      backoff: { initialMs: 20, maxMs: 60_000, spreadMs: 50 },
      nodeInfo,
      onMessage: () => undefined,
      onEvent: (ev) => events.push(ev),
    });
    try {
      session.start();
      await waitFor(() => events.find((e) => e.type === 'connected'), 5000, 'connected to a');
      expect(events.find((e) => e.type === 'connected')).toMatchObject({ hub: urlA });
      expect(session.endpoints.current).toBe(urlA);

      // Hub a dies: the node is on b shortly after, with a new hello there.
      await a.stop();
      await waitFor(() => events.filter((e) => e.type === 'connected').length === 2, 5000, 'connected to b');
      expect(b.messages('hello', 'node-f')).toHaveLength(1);
      expect(session.endpoints.current).toBe(urlB);

      // Hub b drops the node (it is going away): the dead hub and the stopped a are tried, and b again.
      b.dropAll();
      await waitFor(() => events.filter((e) => e.type === 'connected').length === 3, 5000, 'back on b');
      expect(events.filter((e) => e.type === 'connected').map((e) => (e as { hub: string }).hub)).toEqual([
        urlA,
        urlB,
        urlB,
      ]);
    } finally {
      await session.stop();
      await b.stop();
    }
  });
});
