/**
 * Fuzz target `lock-files`: whatever a data dir's lock file holds (garbage, torn JSON, records naming
 * live, dead, reused or foreign pids, other boots and hosts), starting up either takes the lock over or
 * refuses with DataDirInUseError naming the recorded pid — never another error, never a crash — and a
 * refusal leaves the file as it was; a taken lock is released without leaving files behind.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { DataDirInUseError, LOCK_FILE, acquireDataDirLock, processStartTime } from '../../../src/durable/index.js';
import type { FuzzTarget } from '../target.js';

interface Ctx {
  dir: string;
}

const ownStart = processStartTime(process.pid) ?? '0';
const ownBoot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

/** Lock file contents: records (whole or torn, any field missing or mistyped) and plain garbage. */
function contents(dirId: string): fc.Arbitrary<string> {
  const record = fc
    .record(
      {
        pid: fc.oneof(
          fc.constant(process.pid),
          fc.constant(1),
          fc.integer({ min: -5, max: 2 ** 23 }),
          fc.double(),
          fc.string(),
        ),
        startTime: fc.oneof(fc.constant(ownStart), fc.constant('1'), fc.string({ maxLength: 12 })),
        bootId: fc.oneof(fc.constant(ownBoot), fc.uuid()),
        hostname: fc.oneof(fc.constant(hostname()), fc.string({ maxLength: 40 })),
        program: fc.oneof(fc.constant('edge-hub'), fc.string({ maxLength: 40 })),
        nonce: fc.oneof(fc.string({ maxLength: 24 }), fc.integer()),
        dirId: fc.oneof(fc.constant(dirId), fc.string({ maxLength: 24 })),
      },
      { requiredKeys: [] },
    )
    .map((r) => JSON.stringify(r));
  return fc.oneof(
    record,
    record.chain((j) => fc.nat(j.length).map((n) => j.slice(0, n))), // torn
    fc.string({ maxLength: 200 }),
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
  );
}

export const target: FuzzTarget<Ctx, string> = {
  name: 'lock-files',
  setup() {
    return Promise.resolve({ dir: mkdtempSync(join(tmpdir(), 'fuzz-lock-')) });
  },
  arbitrary: (ctx) => {
    const st = statSync(ctx.dir);
    return contents(`${st.dev}:${st.ino}`);
  },
  check(ctx, text) {
    // Synchronous work; a throw becomes the rejection the fuzz runner expects.
    return new Promise<void>((resolve) => {
      checkLockFile(ctx, text);
      resolve();
    });
  },
  teardown(ctx) {
    rmSync(ctx.dir, { recursive: true, force: true });
    return Promise.resolve();
  },
};

/** One case: a lock file holding `text` is either refused clearly and left as is, or replaced by ours. */
function checkLockFile(ctx: Ctx, text: string): void {
  const path = join(ctx.dir, LOCK_FILE);
  writeFileSync(path, text);
  let lock;
  try {
    lock = acquireDataDirLock(ctx.dir, { program: 'fuzz' });
  } catch (err) {
    if (!(err instanceof DataDirInUseError)) throw new Error(`unexpected ${String(err)}`, { cause: err });
    if (
      !err.message.includes(`in use by pid ${err.pid}`) ||
      /[\n\r]/.test(err.message) ||
      err.message.includes('\u001b')
    )
      throw new Error(`unclear refusal: ${JSON.stringify(err.message)}`, { cause: err });
    if (readFileSync(path, 'latin1') !== Buffer.from(text).toString('latin1'))
      throw new Error('a refusal changed the lock file', { cause: err });
    rmSync(path);
    return;
  }
  if ((JSON.parse(readFileSync(path, 'utf8')) as { pid: number }).pid !== process.pid)
    throw new Error('the lock taken is not ours');
  lock.release();
  const left = readdirSync(ctx.dir);
  if (left.length > 0) throw new Error(`left behind: ${left.join(', ')}`);
}
