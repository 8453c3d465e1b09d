import { expect, it } from 'vitest';
import { WritePacer } from './write-pacer.js';

it('lets one write per interval through for each key, and says how long the next must wait', () => {
  let now = 1_000;
  const pacer = new WritePacer({ now: () => now }, 250);
  expect(pacer.wait('a')).toBe(0);
  expect(pacer.wait('b')).toBe(0); // keys are paced independently
  now += 100;
  expect(pacer.wait('a')).toBe(150);
  expect(pacer.wait('a')).toBe(150); // asking again does not reset the clock
  now += 150;
  expect(pacer.wait('a')).toBe(0);
  now += 10;
  pacer.forget('a');
  expect(pacer.wait('a')).toBe(0); // a forgotten key writes at once
});
