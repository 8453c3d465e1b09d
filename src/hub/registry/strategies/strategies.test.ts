import { silentLogger } from '../../../platform/index.js';
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { type KubeObject } from '../../../api/index.js';
import type { Store } from '../../store/index.js';
import { DEFAULT_STRATEGY, createStrategies } from './index.js';

// The strategies tested here read nothing from the store.
const strategyFor = createStrategies({
  store: {} as Store,
  namespace: () => Promise.resolve(undefined),
  clock: { now: () => 0 },
  logger: silentLogger(),
  random: () => 0,
});
const obj = (kind: string, status?: unknown): KubeObject => ({
  apiVersion: 'v1',
  kind,
  metadata: { name: 'x' },
  ...(status !== undefined ? { status } : {}),
});

it('gives a kind without rules of its own the defaults', () => {
  expect(strategyFor('Event')).toBe(DEFAULT_STRATEGY);
  const ev = obj('Event');
  expect(strategyFor('Event').applyDefaults(ev)).toBe(ev);
});

it('starts Pods Pending and Namespaces Active, keeps a registering Node its status, gives others none', () => {
  const reported = { conditions: [{ type: 'Ready', status: 'True' }] };
  expect(strategyFor('Pod').statusOnCreate(obj('Pod', { phase: 'Running' }))).toEqual({ phase: 'Pending' });
  expect(strategyFor('Namespace').statusOnCreate(obj('Namespace'))).toEqual({ phase: 'Active' });
  expect(strategyFor('Node').statusOnCreate(obj('Node', reported))).toBe(reported);
  expect(strategyFor('Deployment').statusOnCreate(obj('Deployment', { replicas: 3 }))).toBeUndefined();
});

it('keeps the generic registry free of kind names (every per-kind rule is a strategy)', () => {
  for (const file of ['../object-registry.ts', '../deletion.ts', '../update.ts']) {
    const text = readFileSync(new URL(file, import.meta.url), 'utf8');
    expect(text, file).not.toMatch(/'(Pod|Service|Node|Namespace)'/);
  }
});
