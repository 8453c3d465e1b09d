import { describe, expect, it } from 'vitest';
import { LogWindowFilter, logWindow, windowed } from './log-window.js';

const NOW = Date.parse('2026-12-02T12:00:00Z');
const line = (iso: string, text: string): string => `${iso} ${text}\n`;

describe('logWindow (query)', () => {
  it('reads sinceSeconds, sinceTime and limitBytes; nothing asked is no window', () => {
    expect(logWindow({}, NOW)).toBeUndefined();
    expect(logWindow({ timestamps: 'true' }, NOW)).toBeUndefined();
    expect(logWindow({ sinceSeconds: '10' }, NOW)).toEqual({ sinceMs: NOW - 10_000, timestamps: false });
    expect(logWindow({ sinceTime: '2026-12-02T11:00:00Z', timestamps: 'true' }, NOW)).toEqual({
      sinceMs: NOW - 3_600_000,
      timestamps: true,
    });
    expect(logWindow({ limitBytes: '5' }, NOW)).toEqual({ limitBytes: 5, timestamps: false });
  });

  it('refuses both since forms at once and malformed values, naming the field', () => {
    const field = (q: Record<string, string>): string | undefined => {
      try {
        logWindow(q, NOW);
        return undefined;
      } catch (err) {
        return (err as { causes: { field: string }[] }).causes[0]?.field;
      }
    };
    expect(field({ sinceSeconds: '1', sinceTime: '2026-12-02T11:00:00Z' })).toBe('sinceSeconds');
    for (const v of ['0', '-1', '1.5', 'x', '']) expect(field({ sinceSeconds: v }), v).toBe('sinceSeconds');
    for (const v of ['yesterday', '2026', '']) expect(field({ sinceTime: v }), v).toBe('sinceTime');
    for (const v of ['0', '1e3', '-4']) expect(field({ limitBytes: v }), v).toBe('limitBytes');
  });
});

describe('LogWindowFilter', () => {
  it('drops lines before the cutoff across chunk boundaries and strips the timestamps it asked for', () => {
    const f = new LogWindowFilter({ sinceMs: NOW, timestamps: false });
    const text =
      line('2026-12-02T11:59:59.999999999Z', 'old') +
      line('2026-12-02T12:00:00.000000001Z', 'new 1') +
      'not a cri line\n' +
      line('2026-12-02T12:00:01Z', 'new 2');
    const out = [...text.matchAll(/[\s\S]{1,7}/g)].map((m) => f.push(m[0])).join('') + f.end();
    expect(out).toBe('new 1\nnot a cri line\nnew 2\n');
  });

  it('keeps the timestamps when the client asked for them, and a last line without a newline', () => {
    const f = new LogWindowFilter({ sinceMs: NOW, timestamps: true });
    expect(f.push(line('2026-12-02T12:00:05Z', 'a') + '2026-12-02T12:00:06Z b')).toBe('2026-12-02T12:00:05Z a\n');
    expect(f.end()).toBe('2026-12-02T12:00:06Z b');
  });

  it('does not take a leading year for a timestamp', () => {
    const f = new LogWindowFilter({ sinceMs: NOW, timestamps: false });
    expect(f.push('2025 was a year\n')).toBe('2025 was a year\n');
  });

  it('stops at limitBytes on a whole character, and says it is full', () => {
    const f = new LogWindowFilter({ limitBytes: 6, timestamps: false });
    expect(f.push('abc')).toBe('abc');
    expect(f.full).toBe(false);
    expect(f.push('déf')).toBe('d\u00e9'); // 'd' (1) + 'é' (2) = 3 bytes: 6 in all
    expect(f.full).toBe(true);
    expect(f.push('more')).toBe('');
    expect(new LogWindowFilter({ limitBytes: 2, timestamps: false }).push('aé')).toBe('a');
  });

  it('ends the source once the limit is reached', async () => {
    let pulled = 0;
    let closed = false;
    async function* source(): AsyncGenerator<string> {
      try {
        for (;;) {
          pulled++;
          yield 'xxxx\n';
          await Promise.resolve();
        }
      } finally {
        closed = true;
      }
    }
    const out: string[] = [];
    for await (const s of windowed(source(), { limitBytes: 12, timestamps: false })) out.push(s);
    expect(out.join('')).toBe('xxxx\nxxxx\nxx');
    expect(pulled).toBe(3);
    expect(closed).toBe(true);
  });
});
