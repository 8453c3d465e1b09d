import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../api/index.js';
import { testPod } from '../testing/fake-hub.js';
import { LocalState } from './local-state.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'edge-node-state-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('LocalState', () => {
  it('stores pods one file each, atomically, and skips invalid files', async () => {
    const state = await LocalState.create({ dataDir: dir, logger: silentLogger() });
    await Promise.all([state.savePod(testPod('a', { args: ['1'] })), state.savePod(testPod('a', { args: ['2'] })), state.savePod(testPod('b'))]);
    await writeFile(path.join(dir, 'pods', 'junk.json'), '{"apiVersion":');
    const pods = await state.loadPods();
    expect(pods.map((p) => p.metadata.name).sort()).toEqual(['a', 'b']);
    expect(pods.find((p) => p.metadata.name === 'a')?.spec.containers[0]?.args).toEqual(['2']);
    expect((await readdir(path.join(dir, 'pods'))).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    await state.deletePod('uid-a');
    expect((await state.loadPods()).map((p) => p.metadata.name).sort()).toEqual(['b']);
  });

  it('remembers the mesh token and the services', async () => {
    const state = await LocalState.create({ dataDir: dir, logger: silentLogger() });
    await state.saveSession({ meshToken: 'm', nodeName: 'n' });
    await state.saveServices([{ namespace: 'default', name: 's', type: 'NodePort', sessionAffinity: 'None', ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }], endpoints: [] }]);
    const again = await LocalState.create({ dataDir: dir, logger: silentLogger() });
    expect(await again.loadSession()).toEqual({ meshToken: 'm', nodeName: 'n' });
    expect((await again.loadServices())[0]?.name).toBe('s');
  });
});
