import { describe, expect, it } from 'vitest';
import { BadRequestError } from './errors.js';
import {
  MAX_DURATION_SECONDS,
  MAX_TIMER_MS,
  Seconds,
  parseDurationSeconds,
  parseSecondsParam,
  timerDelayMs,
} from './duration.js';
import { typeByKind } from './registry.js';
import { validateObject } from './validate.js';

describe('durations', () => {
  it('parses flag durations, refusing overflow and junk', () => {
    expect(parseDurationSeconds('500ms')).toBe(0.5);
    expect(parseDurationSeconds('2m')).toBe(120);
    expect(parseDurationSeconds('1h')).toBe(3600);
    expect(parseDurationSeconds('15')).toBe(15);
    expect(parseDurationSeconds(`${'9'.repeat(400)}h`)).toBeUndefined();
    expect(parseDurationSeconds('1'.repeat(100))).toBeUndefined();
    expect(parseDurationSeconds('-1s')).toBeUndefined();
  });

  it('bounds every duration to what a timer can hold', () => {
    expect(MAX_DURATION_SECONDS * 1000).toBeLessThanOrEqual(MAX_TIMER_MS);
    expect(Seconds(0).safeParse(MAX_DURATION_SECONDS).success).toBe(true);
    const over = Seconds(0).safeParse(MAX_DURATION_SECONDS + 1);
    expect(over.success).toBe(false);
    expect(over.error?.issues[0]?.message).toMatch(/no more than 2147483 seconds/);
    expect(timerDelayMs(1e300)).toBe(MAX_TIMER_MS);
    expect(timerDelayMs(-5)).toBe(0);
    expect(timerDelayMs(NaN)).toBe(0);
  });

  it('keeps setTimeout from overflowing (Node would fire it at once and warn)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    const fired: string[] = [];
    const timers = [1e12, MAX_DURATION_SECONDS * 1000 + 5000, Infinity].map((ms) =>
      setTimeout(() => fired.push(String(ms)), timerDelayMs(ms)),
    );
    // An overflowing timer fires on the next tick: a short window is enough to see one (an absence
    // cannot be polled for).
    await new Promise((r) => setTimeout(r, 20));
    for (const t of timers) clearTimeout(t);
    process.off('warning', onWarning);
    expect(warnings).not.toContain('TimeoutOverflowWarning');
    expect(fired).toEqual([]);
  });

  it('parses seconds query parameters, naming the parameter', () => {
    expect(parseSecondsParam('timeoutSeconds', undefined)).toBeUndefined();
    expect(parseSecondsParam('timeoutSeconds', null)).toBeUndefined();
    expect(parseSecondsParam('timeoutSeconds', '30')).toBe(30);
    for (const bad of ['1e400', 'Infinity', 'NaN', '-1', '1.5', '', '99999999999', 'x'.repeat(10_000)]) {
      let err: unknown;
      try {
        parseSecondsParam('timeoutSeconds', bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(BadRequestError);
      expect((err as BadRequestError).causes[0]?.field).toBe('timeoutSeconds');
      expect((err as BadRequestError).message.length).toBeLessThan(200);
    }
    expect(() => parseSecondsParam('timeoutSeconds', '0', { min: 1 })).toThrow(
      'timeoutSeconds: Invalid value: "0": must be between 1 and 2147483',
    );
  });

  it('refuses huge ...Seconds fields in objects, naming them', () => {
    const deploy = typeByKind('apps/v1', 'Deployment')!;
    const d = (spec: Record<string, unknown>, podSpec: Record<string, unknown> = {}) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: {
        selector: { matchLabels: { a: 'b' } },
        template: {
          metadata: { labels: { a: 'b' } },
          spec: { containers: [{ name: 'c', image: 'x.wasm' }], ...podSpec },
        },
        ...spec,
      },
    });
    expect(() => validateObject(deploy, d({ progressDeadlineSeconds: 1e10 }))).toThrow(
      /spec\.progressDeadlineSeconds: must be no more than 2147483 seconds/,
    );
    expect(() => validateObject(deploy, d({}, { terminationGracePeriodSeconds: 2 ** 40 }))).toThrow(
      /spec\.template\.spec\.terminationGracePeriodSeconds/,
    );
    const probe = { httpGet: { port: 80 }, periodSeconds: 3e9 };
    expect(() =>
      validateObject(deploy, d({}, { containers: [{ name: 'c', image: 'x.wasm', livenessProbe: probe }] })),
    ).toThrow(/containers\[0\]\.livenessProbe\.periodSeconds/);
    expect(() =>
      validateObject(deploy, d({}, { tolerations: [{ key: 'k', operator: 'Exists', tolerationSeconds: -1e12 }] })),
    ).toThrow(/tolerations\[0\]\.tolerationSeconds/);
    expect(validateObject(deploy, d({ progressDeadlineSeconds: 600 })).spec).toBeDefined();
  });
});
