import { describe, expect, it } from 'vitest';
import { formatJoinToken, InvalidJoinTokenError, parseJoinToken } from './index.js';

const hash = 'ab'.repeat(32);

describe('join tokens', () => {
  it('formats and parses K10<hash>::<secret>', () => {
    const token = formatJoinToken(hash, 's3cr3t.value');
    expect(token).toBe(`K10${hash}::s3cr3t.value`);
    expect(parseJoinToken(`${token}\n`)).toEqual({ caHash: hash, secret: 's3cr3t.value' });
  });

  it('keeps a secret containing "::" whole (only the first separator splits)', () => {
    expect(parseJoinToken(`K10${hash}::node::pw`)).toEqual({ caHash: hash, secret: 'node::pw' });
  });

  it('reads a bare secret as a token without a CA hash', () => {
    expect(parseJoinToken('abcdef0123456789\n')).toEqual({ secret: 'abcdef0123456789' });
  });

  it.each([
    ['', /empty/],
    [`K10${hash}`, /no "::"/],
    [`K10abc::Qx9`, /64 lower-case hex/],
    [`K10${hash.toUpperCase()}::Qx9`, /64 lower-case hex/],
    [`K10${hash}::`, /secret is empty/],
    [`K10${hash}::Qx9 Qx9`, /printable ASCII/],
    ['Qx9'.repeat(2000), /longer than/],
    ['Qx9 Qx9', /printable ASCII/],
  ])('refuses a malformed token %#, never echoing it', (text, message) => {
    const err = (() => {
      try {
        parseJoinToken(text);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(InvalidJoinTokenError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('Qx9');
    expect((err as Error).message).not.toContain(hash);
  });

  it('refuses to format a bad hash', () => {
    expect(() => formatJoinToken('nothex', 'x')).toThrow(InvalidJoinTokenError);
  });
});
