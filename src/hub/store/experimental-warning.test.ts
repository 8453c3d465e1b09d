import { afterEach, beforeEach, expect, it } from 'vitest';
import { withoutSqliteExperimentalWarning } from './experimental-warning.js';

const SQLITE = 'SQLite is an experimental feature and might change at any time';
const seen: string[] = [];
const record = (w: Error) => seen.push(`${w.name}: ${w.message}`);
// Node's own listener prints warnings to stderr: set aside while these tests emit theirs.
let printers: ((w: Error) => void)[] = [];
beforeEach(() => {
  printers = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', record);
});
afterEach(() => {
  process.off('warning', record);
  for (const p of printers) process.on('warning', p);
  seen.length = 0;
});

/** Warnings are delivered on the next tick. */
const nextTick = () => new Promise<void>((resolve) => process.nextTick(resolve));

it('drops only the SQLite ExperimentalWarning, and only while loading', async () => {
  const value = withoutSqliteExperimentalWarning(() => {
    // What Node 22 emits when `node:sqlite` is first loaded, as a type and as options.
    process.emitWarning(SQLITE, 'ExperimentalWarning');
    process.emitWarning(SQLITE, { type: 'ExperimentalWarning' });
    process.emitWarning('WASI is an experimental feature and might change at any time', 'ExperimentalWarning');
    process.emitWarning('SQLite is an experimental feature, said someone else', 'DeprecationWarning', 'DEP0000');
    return 42;
  });
  expect(value).toBe(42);
  // Filtering ended with the load.
  process.emitWarning(SQLITE, 'ExperimentalWarning');
  await nextTick();
  expect(seen).toEqual([
    'ExperimentalWarning: WASI is an experimental feature and might change at any time',
    'DeprecationWarning: SQLite is an experimental feature, said someone else',
    `ExperimentalWarning: ${SQLITE}`,
  ]);
});

it('stops filtering when loading throws', async () => {
  expect(() =>
    withoutSqliteExperimentalWarning(() => {
      throw new Error('no sqlite here');
    }),
  ).toThrow('no sqlite here');
  process.emitWarning(SQLITE, 'ExperimentalWarning');
  await nextTick();
  expect(seen).toEqual([`ExperimentalWarning: ${SQLITE}`]);
});
