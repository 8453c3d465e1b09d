/**
 * The rule that lets e2e files run side by side (vitest.config.ts runs two at a time): each file owns
 * the loopback addresses its nodes listen on, the pod subnets it routes and the bridges it creates.
 * Two files naming the same one would fight over fixed ports (NodePorts, mesh ports) or links only
 * when they happen to run together — a flaky failure far from its cause. This reads the test sources
 * and names any address, subnet or bridge that two files share, so the clash fails here, every time.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/cluster.js';

/** Every `.ts` file under `test/` except the shared support code (which only uses 127.0.0.1). */
function testSources(dir = join(ROOT, 'test')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'support' ? [] : testSources(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

/** For each value `pattern` finds, the files that use it, where more than one does. */
function shared(pattern: RegExp, keep: (value: string) => boolean = () => true): Record<string, string[]> {
  const users = new Map<string, Set<string>>();
  for (const file of testSources()) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(pattern)) {
      const value = m[1]!;
      if (!keep(value)) continue;
      const set = users.get(value) ?? new Set<string>();
      set.add(relative(ROOT, file));
      users.set(value, set);
    }
  }
  return Object.fromEntries([...users].filter(([, files]) => files.size > 1).map(([v, f]) => [v, [...f].sort()]));
}

describe('e2e files own their network resources', () => {
  it('no two files use the same loopback address (other than 127.0.0.1, where ports come from the kernel)', () => {
    expect(shared(/\b(127\.0\.\d{1,3}\.\d{1,3})\b/g, (a) => !a.startsWith('127.0.0.'))).toEqual({});
  });

  it('no two files route the same pod subnet', () => {
    expect(shared(/\b(10\.\d{1,3}\.\d{1,3}\.\d{1,3}\/\d{1,2})\b/g)).toEqual({});
  });

  it('no two files create a bridge of the same name', () => {
    expect(shared(/\b(?:BRIDGE\s*=|bridge:)\s*'([^']+)'/g)).toEqual({});
  });
});
