/**
 * The run dir's lifetime: an agent's stop removes it when nothing is left in it, and keeps whatever is
 * (the volumes of pods that come back at the next start); a real agent's stop leaves no empty one.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { FakeRuntime } from '../testing/fake-runtime.js';
import { AgentRig } from '../testing/test-agents.js';
import { defaultRunDir, prepareRunDir, releaseRunDir } from './run-dir.js';

const made: string[] = [];
afterEach(async () => {
  for (const d of made.splice(0)) await rm(d, { recursive: true, force: true });
});

it('removes an empty run dir (an empty volumes dir too), and keeps one that holds a volume', async () => {
  const empty = await mkdtemp('/dev/shm/edge-run-dir-empty-');
  const held = await mkdtemp('/dev/shm/edge-run-dir-held-');
  made.push(empty, held);
  await mkdir(path.join(empty, 'volumes'));
  await mkdir(path.join(held, 'volumes', 'uid-1', 'volumes', 'cfg'), { recursive: true });
  await writeFile(path.join(held, 'volumes', 'uid-1', 'volumes', 'cfg', 'key'), 'value');
  await releaseRunDir(empty);
  await releaseRunDir(held);
  expect(existsSync(empty)).toBe(false);
  expect(existsSync(path.join(held, 'volumes', 'uid-1', 'volumes', 'cfg', 'key'))).toBe(true);
  // Gone already: nothing to do, no error.
  await releaseRunDir(empty);
  await prepareRunDir(empty);
  expect(existsSync(empty)).toBe(true);
});

it('leaves no empty run dir behind when an agent without pods stops', async () => {
  const rig = await AgentRig.start('edge-run-dir-agent-');
  await rig.startAgent({ runtimes: [new FakeRuntime()] });
  const runDir = defaultRunDir(rig.dir);
  expect(existsSync(runDir)).toBe(true);
  await rig.stop();
  expect(existsSync(runDir)).toBe(false);
});
