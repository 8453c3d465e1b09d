import { expect, it } from 'vitest';
import { GroupCommit, type WriteOutcome } from './group-commit.js';

/** A group commit over plain functions, whose syncs wait until the test lets them go. */
function rig(maxBatch: number) {
  const committed: number[] = [];
  const syncs: Array<() => void> = [];
  const published: number[] = [];
  const group = new GroupCommit<() => number, number>({
    maxBatch,
    commit: (writes) => writes.map((w): WriteOutcome<number> => ({ ok: true, value: w() })),
    sync: () => new Promise<void>((resolve) => syncs.push(resolve)),
    onDurable: (outcomes) => outcomes.forEach((o) => o.ok && published.push(o.value)),
  });
  const write = (n: number) =>
    group.submit(() => {
      committed.push(n);
      return n;
    });
  return { group, committed, syncs, published, write };
}

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

it('holds back new batches once 4 × maxBatch writes wait on the disk, and answers in order as syncs end', async () => {
  const { committed, syncs, published, write } = rig(2);
  const acked: number[] = [];
  const all = Array.from({ length: 20 }, (_, i) => write(i).then((n) => acked.push(n)));
  await turns(20);
  expect(committed).toEqual([0, 1, 2, 3, 4, 5, 6, 7]); // the first batch syncing, three more committed
  expect(syncs).toHaveLength(1);
  expect(acked).toEqual([]);
  while (acked.length < 20) {
    syncs.shift()?.();
    await turns(5);
  }
  await Promise.all(all);
  expect(acked).toEqual(Array.from({ length: 20 }, (_, i) => i));
  expect(published).toEqual(acked);
});

it('resolves a reader once everything committed is durable, committing nothing while it waits', async () => {
  const { group, committed, syncs, write } = rig(500);
  expect(group.durable()).toBeUndefined();
  void write(1);
  await turns(2);
  let read = false;
  void group.durable()!.then(() => (read = true));
  void write(2);
  await turns(5);
  expect(committed).toEqual([1]); // write 2 waits for the reader
  syncs.shift()!();
  await turns(1);
  expect(read).toBe(true);
  await turns(5);
  expect(committed).toEqual([1, 2]);
  syncs.shift()!();
  await group.drain();
  expect(group.durable()).toBeUndefined();
});

it('rejects every write of the failed sync, those committed during it and those waiting, publishing none', async () => {
  const syncs: Array<(err?: Error) => void> = [];
  const published: number[] = [];
  const committed: number[] = [];
  const group = new GroupCommit<() => number, number>({
    maxBatch: 1,
    commit: (writes) => writes.map((w): WriteOutcome<number> => ({ ok: true, value: w() })),
    sync: () => new Promise<void>((resolve, reject) => syncs.push((err) => (err ? reject(err) : resolve()))),
    onDurable: (outcomes) => outcomes.forEach((o) => o.ok && published.push(o.value)),
  });
  const outcomes = [1, 2, 3].map((n) =>
    group
      .submit(() => (committed.push(n), n))
      .then(
        () => 'ok',
        (err: Error) => err.message,
      ),
  );
  await turns(3);
  expect(committed).toEqual([1, 2, 3]); // 1 syncing, 2 and 3 committed meanwhile
  const late = group.submit(() => 4).catch((err: Error) => err.message);
  syncs.shift()!(new Error('EIO'));
  expect(await Promise.all(outcomes)).toEqual(['EIO', 'EIO', 'EIO']);
  expect(await late).toBe('EIO');
  expect(published).toEqual([]);
  await group.drain();
  expect(group.durable()).toBeUndefined();
});

/** A group commit whose commits are handed off (a worker thread's, here held until the test answers them). */
function asyncRig(maxBatch: number) {
  const commits: Array<{ writes: number[]; answer: (err?: Error) => void }> = [];
  const syncs: Array<(err?: Error) => void> = [];
  const published: number[] = [];
  const group = new GroupCommit<number, number>({
    maxBatch,
    commit: (writes) =>
      new Promise((resolve, reject) =>
        commits.push({
          writes: [...writes],
          answer: (err) => (err ? reject(err) : resolve(writes.map((n) => ({ ok: true, value: n })))),
        }),
      ),
    sync: () => new Promise<void>((resolve, reject) => syncs.push((err) => (err ? reject(err) : resolve()))),
    onDurable: (outcomes) => outcomes.forEach((o) => o.ok && published.push(o.value)),
  });
  return { group, commits, syncs, published };
}

it('hands batches over while others commit, syncs each once its commit returned, answers in order', async () => {
  const { group, commits, syncs, published } = asyncRig(2);
  const acked: number[] = [];
  const all = [1, 2, 3, 4, 5].map((n) => group.submit(n).then(() => acked.push(n)));
  await turns(5);
  // Three batches committing at once; nothing to sync before a commit returns.
  expect(commits.map((c) => c.writes)).toEqual([[1, 2], [3, 4], [5]]);
  expect(syncs).toHaveLength(0);
  commits[0]!.answer();
  commits[1]!.answer();
  await turns(2);
  // The first commit's sync started as it returned; the second waits for the next sync.
  expect(syncs).toHaveLength(1);
  expect(acked).toEqual([]);
  syncs.shift()!();
  await turns(2);
  expect(acked).toEqual([1, 2]);
  expect(syncs).toHaveLength(1);
  commits[2]!.answer();
  await turns(2);
  syncs.shift()!();
  await turns(2);
  expect(acked).toEqual([1, 2, 3, 4]);
  syncs.shift()!();
  await Promise.all(all);
  expect(acked).toEqual([1, 2, 3, 4, 5]);
  expect(published).toEqual(acked);
  expect(group.durable()).toBeUndefined();
});

it('counts a committing batch as not durable: a reader waits for it, and nothing new is handed over meanwhile', async () => {
  const { group, commits, syncs } = asyncRig(10);
  void group.submit(1);
  await turns(2);
  let read = false;
  void group.durable()!.then(() => (read = true));
  void group.submit(2);
  await turns(5);
  expect(commits).toHaveLength(1);
  commits[0]!.answer();
  await turns(2);
  expect(read).toBe(false); // committed, not yet synced
  syncs.shift()!();
  await turns(2);
  expect(read).toBe(true);
  await turns(3);
  expect(commits.map((c) => c.writes)).toEqual([[1], [2]]);
  commits[1]!.answer();
  await turns(2);
  syncs.shift()!();
  await group.drain();
});

it('rejects the writes of a batch whose commit failed, and goes on with the next', async () => {
  const { group, commits, syncs, published } = asyncRig(1);
  const first = group.submit(1).catch((err: Error) => err.message);
  const second = group.submit(2);
  await turns(3);
  commits[0]!.answer(new Error('database or disk is full'));
  commits[1]!.answer();
  await turns(2);
  syncs.shift()!();
  expect(await first).toBe('database or disk is full');
  expect(await second).toBe(2);
  expect(published).toEqual([2]);
});

it('rejects a batch whose commit returns after a sync failed: nothing after it is trusted', async () => {
  const { group, commits, syncs, published } = asyncRig(1);
  const results = [1, 2].map((n) => group.submit(n).then(String, (err: Error) => err.message));
  await turns(3);
  commits[0]!.answer();
  await turns(2);
  syncs.shift()!(new Error('EIO'));
  await turns(2);
  commits[1]!.answer();
  expect(await Promise.all(results)).toEqual(['EIO', 'EIO']);
  expect(published).toEqual([]);
  await group.drain();
});
