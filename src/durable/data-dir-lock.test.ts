import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DataDirInUseError,
  LOCK_FILE,
  acquireDataDirLock,
  prepareDataDir,
  processStartTime,
  type DataDirLock,
} from './index.js';

const held: DataDirLock[] = [];
afterEach(() => {
  for (const l of held.splice(0)) l.release();
});

function take(dir: string): DataDirLock {
  const l = acquireDataDirLock(dir, { program: 'test' });
  held.push(l);
  return l;
}

function record(pid: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ pid, hostname: hostname(), nonce: 'x', program: 'edge-hub', ...extra });
}

describe('data dir lock', () => {
  it('refuses a second holder while the first holds it, naming its pid; free again after release', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lock-'));
    const first = take(dir);
    let err: unknown;
    try {
      acquireDataDirLock(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataDirInUseError);
    expect((err as Error).message).toContain(`data dir ${dir} in use by pid ${process.pid}`);
    first.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    take(dir);
    expect((JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { pid: number }).pid).toBe(process.pid);
  });

  it('refuses while another live process holds it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lock-'));
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      const pid = child.pid!;
      writeFileSync(join(dir, LOCK_FILE), record(pid, { startTime: processStartTime(pid) }));
      expect(() => acquireDataDirLock(dir)).toThrow(`in use by pid ${pid} (edge-hub)`);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('takes over the lock of a process that is gone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lock-'));
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(dir, LOCK_FILE), record(Number(gone.stdout), { startTime: '1' }));
    take(dir);
    expect((JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { pid: number }).pid).toBe(process.pid);
  });

  it('is not fooled by a reused pid (another start time) or a lock from a previous boot', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lock-'));
    // Our own pid, alive, but recorded with another start time: a different process used this pid.
    writeFileSync(join(dir, LOCK_FILE), record(process.pid, { startTime: '1' }));
    take(dir).release();
    writeFileSync(
      join(dir, LOCK_FILE),
      record(process.pid, { startTime: processStartTime(process.pid), bootId: 'an-earlier-boot' }),
    );
    take(dir);
    expect((JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { nonce: string }).nonce).not.toBe('x');
  });

  it('takes over a lock file copied with its data dir from a dir that is still in use', () => {
    const root = mkdtempSync(join(tmpdir(), 'lock-'));
    const original = join(root, 'a');
    const copy = join(root, 'b');
    mkdirSync(original);
    mkdirSync(copy);
    take(original);
    // `cp -a a b` while a's holder runs: the same live pid and start time, but another directory.
    writeFileSync(join(copy, LOCK_FILE), readFileSync(join(original, LOCK_FILE)));
    take(copy);
    expect(() => acquireDataDirLock(original)).toThrow(DataDirInUseError);
  });

  it('takes over an empty or garbled lock file (torn by a power cut) and leaves no temporaries', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lock-'));
    writeFileSync(join(dir, LOCK_FILE), '');
    take(dir).release();
    writeFileSync(join(dir, LOCK_FILE), '{"pid": "12');
    take(dir).release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('release leaves a lock that is no longer ours alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lock-'));
    const l = take(dir);
    writeFileSync(join(dir, LOCK_FILE), record(process.pid, { nonce: 'someone-else' }));
    l.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
  });

  it('lets exactly one of several processes racing for a stale lock win', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lock-'));
    writeFileSync(join(dir, LOCK_FILE), record(2 ** 22 + 1, { startTime: '1' }));
    // The winner keeps its lock until every racer has answered (the parent then kills them all).
    const script = `
      import { acquireDataDirLock } from ${JSON.stringify(join(import.meta.dirname, 'data-dir-lock.ts'))};
      try { acquireDataDirLock(process.argv[1]); process.stdout.write('won'); setInterval(() => {}, 1000); }
      catch (e) { process.stdout.write(e.name); }`;
    const children = Array.from({ length: 3 }, () =>
      spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir], {
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    );
    const outs = await Promise.all(
      children.map(
        (c) => new Promise<string>((resolve) => c.stdout.once('data', (d: Buffer) => resolve(d.toString()))),
      ),
    ).finally(() => {
      for (const c of children) c.kill('SIGKILL');
    });
    expect(outs.filter((o) => o === 'won')).toHaveLength(1);
    expect(outs.filter((o) => o === 'DataDirInUseError')).toHaveLength(2);
  });
});

describe('prepareDataDir', () => {
  it('creates data dirs 0700 and tightens an existing open one, saying so', () => {
    const root = mkdtempSync(join(tmpdir(), 'dd-'));
    prepareDataDir(join(root, 'a', 'b'));
    expect(statSync(join(root, 'a', 'b')).mode & 0o777).toBe(0o700);
    const open = join(root, 'open');
    mkdirSync(open);
    chmodSync(open, 0o755);
    const warnings: string[] = [];
    prepareDataDir(open, (m) => warnings.push(m));
    expect(statSync(open).mode & 0o777).toBe(0o700);
    expect(warnings[0]).toContain('tightened to 0700');
  });
});
