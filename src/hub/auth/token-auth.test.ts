import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { silentLogger } from '../../platform/index.js';
import { TokenAuth } from './token-auth.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'auth-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('generates the admin token once (0600), reuses it, and verifies; join.token is not its (bootstrap tokens are Token objects)', async () => {
  const a = await TokenAuth.create({ dataDir: dir, logger: silentLogger() });
  expect(a.adminToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(statSync(join(dir, 'admin.token')).mode & 0o777).toBe(0o600);
  expect(readdirSync(dir)).toEqual(['admin.token']);
  const b = await TokenAuth.create({ dataDir: dir, logger: silentLogger() });
  expect(b.adminToken).toBe(a.adminToken);
  expect(b.verify(`Bearer ${a.adminToken}`)).toEqual({
    kind: 'user',
    name: 'admin',
    groups: ['system:masters', 'system:authenticated'],
  });
  expect(b.verify('Bearer nope')).toBeUndefined();
  expect(b.verify(undefined)).toBeUndefined();
  expect(b.verify('Bearer ')).toBeUndefined();
});

it('loads extra users from tokens.json', async () => {
  writeFileSync(
    join(dir, 'tokens.json'),
    JSON.stringify({
      users: [
        { name: 'viewer', token: 'viewer-token-0123456789', role: 'read-only' },
        { name: 'alice', token: 'alice-token-0123456789', groups: ['dev', 'qa'] },
      ],
    }),
  );
  const a = await TokenAuth.create({ dataDir: dir, logger: silentLogger() });
  expect(a.verify('Bearer viewer-token-0123456789')).toEqual({
    kind: 'user',
    name: 'viewer',
    groups: ['edgeplane:read-only', 'system:authenticated'],
  });
  expect(a.verify('Bearer alice-token-0123456789')).toEqual({
    kind: 'user',
    name: 'alice',
    groups: ['dev', 'qa', 'system:authenticated'],
  });
});

it('replaces a token file found empty (torn by a power cut under an older version), leaving no temporary', async () => {
  writeFileSync(join(dir, 'admin.token'), '');
  const a = await TokenAuth.create({ dataDir: dir, logger: silentLogger() });
  expect(a.adminToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(readFileSync(join(dir, 'admin.token'), 'utf8')).toBe(`${a.adminToken}\n`);
  expect(readdirSync(dir).sort()).toEqual(['admin.token']);
});
