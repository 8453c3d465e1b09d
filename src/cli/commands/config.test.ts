import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { emptyConfig, type EdgeConfig } from '../config/index.js';
import { minify } from './config.js';

const config: EdgeConfig = {
  ...emptyConfig(),
  clusters: [
    { name: 'lab', cluster: { server: 'https://lab:8443' } },
    { name: 'prod', cluster: { server: 'https://prod:8443' } },
  ],
  users: [
    { name: 'lab', user: { token: 'lab-token' } },
    { name: 'prod', user: { token: 'prod-token' } },
  ],
  contexts: [
    { name: 'lab', context: { cluster: 'lab', user: 'lab' } },
    { name: 'prod', context: { cluster: 'prod', user: 'prod', namespace: 'web' } },
  ],
  'current-context': 'lab',
};

describe('config view --minify', () => {
  it('keeps one context, its cluster and user, and makes it current', () => {
    const prod = minify(config, 'prod');
    expect(prod.contexts.map((c) => c.name)).toEqual(['prod']);
    expect(prod.clusters).toEqual([{ name: 'prod', cluster: { server: 'https://prod:8443' } }]);
    expect(prod.users.map((u) => u.name)).toEqual(['prod']);
    expect(prod['current-context']).toBe('prod');
    expect(minify(config).contexts.map((c) => c.name)).toEqual(['lab']);
  });

  it('refuses an unknown context', () => {
    expect(() => minify(config, 'nope')).toThrow(ConfigError);
  });
});
