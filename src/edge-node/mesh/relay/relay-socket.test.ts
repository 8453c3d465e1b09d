/** Which redirects of a relayed dial a node follows: only to the dial path of a hub it knows. */
import { describe, expect, it } from 'vitest';
import { RELAY_DIAL_PATH } from '../../../api/index.js';
import { redirectedHub, type RelayHubLink } from './relay-socket.js';

const link = (base: string, hubs: string[]): RelayHubLink => ({
  base: () => base,
  tls: () => ({ ca: '', cert: '', key: '' }),
  hubs: () => hubs,
});

describe('redirectedHub', () => {
  const known = link('https://10.0.0.1:7400', ['https://10.0.0.2:7400/', 'wss://hub-c.example:443/edge']);

  it('follows a redirect to the dial path of a known hub, with or without the path it is served under', () => {
    expect(redirectedHub(known, `https://10.0.0.2:7400${RELAY_DIAL_PATH}?node=b`, RELAY_DIAL_PATH)).toBe(
      'https://10.0.0.2:7400',
    );
    expect(redirectedHub(known, `https://hub-c.example${RELAY_DIAL_PATH}?node=b`, RELAY_DIAL_PATH)).toBeUndefined();
    expect(redirectedHub(known, `https://hub-c.example/edge${RELAY_DIAL_PATH}?node=b`, RELAY_DIAL_PATH)).toBe(
      'https://hub-c.example/edge',
    );
  });

  it('follows no redirect to an unknown hub, another path, or a Location that is not a URL', () => {
    expect(redirectedHub(known, `https://10.6.6.6:7400${RELAY_DIAL_PATH}?node=b`, RELAY_DIAL_PATH)).toBeUndefined();
    expect(redirectedHub(known, 'https://10.0.0.2:7400/api/v1/secrets', RELAY_DIAL_PATH)).toBeUndefined();
    expect(redirectedHub(known, `http://10.0.0.2:7400${RELAY_DIAL_PATH}`, RELAY_DIAL_PATH)).toBeUndefined();
    expect(redirectedHub(known, 'not a url', RELAY_DIAL_PATH)).toBeUndefined();
    expect(redirectedHub(known, undefined, RELAY_DIAL_PATH)).toBeUndefined();
  });
});
