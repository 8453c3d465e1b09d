import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../platform/index.js';
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
    await Promise.all([
      state.savePod(testPod('a', { args: ['1'] })),
      state.savePod(testPod('a', { args: ['2'] })),
      state.savePod(testPod('b')),
    ]);
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
    await state.saveServices([
      {
        namespace: 'default',
        name: 's',
        type: 'NodePort',
        sessionAffinity: 'None',
        ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }],
        endpoints: [],
      },
    ]);
    const again = await LocalState.create({ dataDir: dir, logger: silentLogger() });
    expect(await again.loadSession()).toEqual({ meshToken: 'm', nodeName: 'n' });
    expect((await again.loadServices())[0]?.name).toBe('s');
  });

  it('starts from torn files with a clear log line, not a crash, and sweeps temporaries a crash left', async () => {
    const first = await LocalState.create({ dataDir: dir, logger: silentLogger() });
    await first.savePod(testPod('a'));
    await first.saveSession({ meshToken: 'm' });
    expect((await stat(path.join(dir, 'session.json'))).mode & 0o777).toBe(0o600);
    // A disk that lied about its flush: half a file, an empty one, a leftover temporary.
    await writeFile(path.join(dir, 'pods', 'uid-b.json'), '{"apiVersion":"v1","kind":"Po');
    await writeFile(path.join(dir, 'services.json'), '');
    await writeFile(path.join(dir, 'session.json'), '{"meshToken": 42}');
    await writeFile(path.join(dir, 'pods', 'uid-a.json.tmp-123-abcd1234'), '{');
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
    const state = await LocalState.create({ dataDir: dir, logger });
    expect((await state.loadPods()).map((p) => p.metadata.name)).toEqual(['a']);
    expect(await state.loadServices()).toEqual([]);
    expect(await state.loadSession()).toEqual({});
    const logged = lines.map((l) => JSON.parse(l) as { msg: string; file: string });
    expect(logged.map((l) => `${path.basename(l.file)}: ${l.msg}`)).toEqual([
      'uid-b.json: local state file torn (not JSON); starting without it (the hub resyncs it)',
      'services.json: local state file torn (not JSON); starting without it (the hub resyncs it)',
      'session.json: local state file invalid; starting without it (the hub resyncs it)',
    ]);
    // The torn pod file is gone (the hub resyncs that pod); so is the temporary.
    expect((await readdir(path.join(dir, 'pods'))).sort()).toEqual(['uid-a.json']);
  });
});
