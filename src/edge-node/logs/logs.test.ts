import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeHub, testPod, waitFor } from '../testing/fake-hub.js';
import { FakeRuntime } from '../testing/fake-runtime.js';
import { AgentRig } from '../testing/test-agents.js';
import { criToText, tailText } from './cri.js';

let rig: AgentRig;
let hub: FakeHub;
const rt = new FakeRuntime();
let seq = 0;

beforeAll(async () => {
  rig = await AgentRig.start('edge-node-logs-');
  hub = rig.hub;
  hub.pods.set('node-a', [testPod('talker')]);
  await rig.startAgent({
    runtimes: [rt],
    backoff: { restart: { initialMs: 20, maxMs: 40 }, statusBatchMs: 5, logPollMs: 20 },
  });
  const c = await waitFor(() => rt.running('talker')[0], 5000, 'running');
  for (let i = 1; i <= 5; i++) rt.writeLog(c.config.id, 'stdout', `line ${i}`);
});

afterAll(async () => {
  await rig.stop();
});

function request(extra: Record<string, unknown>, pod = 'talker'): string {
  const requestId = `r${++seq}`;
  hub.send('node-a', { type: 'logRequest', requestId, pod: { namespace: 'default', name: pod }, ...extra });
  return requestId;
}

const chunks = (id: string) => hub.messages('logChunk').filter((c) => c.requestId === id);
const text = (id: string) =>
  chunks(id)
    .map((c) => c.data)
    .join('');
const done = (id: string) => chunks(id).some((c) => c.done);

describe('container logs', () => {
  it('strips the CRI prefix, honours tailLines and timestamps', async () => {
    const all = request({});
    await waitFor(() => done(all), 5000, 'done');
    expect(text(all)).toBe('started main args=\nline 1\nline 2\nline 3\nline 4\nline 5\n');
    const tail = request({ tailLines: 2, timestamps: true });
    await waitFor(() => done(tail), 5000, 'done');
    expect(text(tail)).toMatch(/^\d{4}-\d\d-\d\dT\S+ line 4\n\S+ line 5\n$/);
  });

  it('answers an unknown pod with an error', async () => {
    const id = request({}, 'nobody');
    await waitFor(() => done(id), 5000, 'done');
    expect(chunks(id)[0]?.error).toMatch(/pod "nobody" not found/);
  });

  it('follows across a restart until cancelled, and serves the previous instance', async () => {
    const id = request({ follow: true, tailLines: 1 });
    await waitFor(() => text(id) === 'line 5\n', 5000, 'tail');
    const first = rt.running('talker')[0]!;
    rt.writeLog(first.config.id, 'stdout', 'more');
    await waitFor(() => text(id).endsWith('more\n'), 5000, 'appended data');
    rt.exit(first.config.id, 1);
    const second = await waitFor(() => rt.running('talker')[0], 5000, 'restarted');
    rt.writeLog(second.config.id, 'stderr', 'after restart');
    await waitFor(() => text(id).endsWith('after restart\n'), 5000, 'data of the new instance');
    expect(text(id)).toContain('exiting with 1\nstarted main');
    expect(done(id)).toBe(false);
    hub.send('node-a', { type: 'logCancel', requestId: id });
    await waitFor(() => done(id), 5000, 'cancelled');

    const prev = request({ previous: true });
    await waitFor(() => done(prev), 5000, 'previous');
    expect(text(prev)).toContain('more\nexiting with 1\n');
    expect(text(prev)).not.toContain('after restart');
  });
});

describe('CRI helpers', () => {
  it('joins partial lines and passes foreign lines through', () => {
    expect(criToText(['2024-01-01T00:00:00Z stdout P hel', '2024-01-01T00:00:00Z stdout F lo', 'plain'], false)).toBe(
      'hello\nplain\n',
    );
    expect(criToText(['2024-01-01T00:00:00Z stderr F '], true)).toBe('2024-01-01T00:00:00Z \n');
    expect(tailText('a\nb\nc\n', 2)).toBe('b\nc\n');
    expect(tailText('a\nb\n', 0)).toBe('');
  });
});
