/**
 * Guards edgectl's start-up time (bench/cli-startup.ts): the modules `edgectl get` loads before it
 * runs — the static value imports from main.ts and get.ts, followed through the sources — must not
 * reach zod, yaml, undici or src/api's index (which builds every kind's schema). Dynamic `import()`
 * is how the rest is loaded on demand, so it is not followed.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandName } from './command-table.js';

const ROOT = import.meta.dirname;
// `import … from 'x'` and `export … from 'x'`, but not `import type` / `export type`.
const STATIC = /^(?:import|export)\s+(?!type\b)[^;]*?\sfrom\s+'([^']+)';/gms;

/** Every module statically reachable from `entry`: source files by path, packages by name. */
function staticClosure(entry: string): Set<string> {
  const seen = new Set<string>();
  const walk = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(STATIC)) {
      const spec = m[1] ?? '';
      if (spec.startsWith('.')) walk(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else seen.add(spec);
    }
  };
  walk(entry);
  return seen;
}

describe('edgectl start-up', () => {
  it.each(['main.ts', 'commands/get.ts'])('%s loads no zod, yaml, undici or api index statically', (entry) => {
    const loaded = [...staticClosure(join(ROOT, entry))];
    const heavy = loaded.filter(
      (m) => ['zod', 'yaml', 'undici'].includes(m) || m.endsWith(join('src', 'api', 'index.ts')),
    );
    expect(heavy).toEqual([]);
    // The walk did follow the get path into src/api's zod-free surface.
    if (entry === 'commands/get.ts') expect(loaded.some((m) => m.endsWith(join('api', 'lite.ts')))).toBe(true);
  });

  it('finds the command name past global flags', () => {
    expect(commandName(['get', 'pods'])).toBe('get');
    expect(commandName(['-n', 'demo', 'get', 'pods'])).toBe('get');
    expect(commandName(['--namespace=demo', '--server', 'http://x', 'logs', 'p'])).toBe('logs');
    expect(commandName(['--config', 'c', '--context', 'k', '--token-file', 't', 'delete'])).toBe('delete');
    expect(commandName(['--help'])).toBeUndefined();
    expect(commandName([])).toBeUndefined();
  });
});
