/**
 * Watch fan-out benchmark (prints figures; not a test): what N HTTP watchers of pods cost the hub per
 * event. One in-process API app (the real server, registry and SQLite store, as in the unit tests),
 * W watchers each selecting one node's pods (`fieldSelector=spec.nodeName=node-i`, as kubelets do)
 * plus L watchers of every pod by label; then E pod creates spread over the W nodes. Prints the CPU
 * per event with and without the watchers (the difference is the watch path's own cost), and checks
 * every watcher got exactly its events.
 * Run: npx tsx bench/watch-fanout.ts [--watchers 1000] [--label-watchers 20] [--events 2000]
 */
import { parseArgs } from 'node:util';
import { typeByKind, type ResourceType } from '../src/api/index.js';
import { createTestApi } from '../src/hub/testing/index.js';

const { values } = parseArgs({
  options: {
    watchers: { type: 'string', default: '1000' },
    'label-watchers': { type: 'string', default: '20' },
    events: { type: 'string', default: '2000' },
  },
});
const W = Number(values.watchers);
const L = Number(values['label-watchers']);
const E = Number(values.events);
const PER_USER = 100;
const PODS = '/api/v1/namespaces/default/pods';
const podType = typeByKind('v1', 'Pod') as ResourceType;

const pod = (name: string, node: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'bench', tier: 'web' }, annotations: { note: 'x'.repeat(400) } },
  spec: {
    nodeName: node,
    containers: [
      { name: 'main', image: 'hello.wasm', env: [{ name: 'A', value: 'b' }], ports: [{ containerPort: 8080 }] },
    ],
  },
});

/** Counts the lines of a watch response until `want` arrived. */
async function drain(body: ReadableStream<Uint8Array>, want: number): Promise<number> {
  const reader = body.getReader();
  let lines = 0;
  let bytes = 0;
  while (lines < want) {
    const r = await reader.read();
    if (r.done) throw new Error(`watch ended after ${lines} of ${want} lines`);
    bytes += r.value.byteLength;
    for (const b of r.value) if (b === 10) lines++;
  }
  await reader.cancel();
  return bytes;
}

async function run(
  watchers: number,
  labelWatchers: number,
  prefix: string,
): Promise<{ cpuMs: number; wallMs: number; bytes: number }> {
  const users = Array.from({ length: Math.ceil((watchers + labelWatchers) / PER_USER) + 1 }, (_, i) => ({
    name: `bench-${i}`,
    token: `bench-token-${i}-0123456789abcdef`,
    role: 'admin' as const,
  }));
  const t = await createTestApi({ users });
  try {
    const rv = String((await t.api.list(podType)).resourceVersion);
    const get = (i: number, query: string): Promise<Response> =>
      Promise.resolve(
        t.app.request(`${PODS}?watch=true&resourceVersion=${rv}&${query}`, {
          headers: { authorization: `Bearer ${users[Math.floor(i / PER_USER)]?.token ?? ''}` },
        }),
      );
    const done: Array<Promise<number>> = [];
    for (let i = 0; i < watchers; i++) {
      const res = await get(i, `fieldSelector=spec.nodeName%3Dnode-${i}`);
      if (res.status !== 200 || !res.body) throw new Error(`watch ${i}: ${res.status}`);
      // Pod k goes to node-(k mod watchers).
      const want = Math.floor(E / watchers) + (i < E % watchers ? 1 : 0);
      done.push(want > 0 ? drain(res.body, want) : res.body.cancel().then(() => 0));
    }
    for (let j = 0; j < labelWatchers; j++) {
      const res = await get(watchers + j, 'labelSelector=app%3Dbench');
      if (res.status !== 200 || !res.body) throw new Error(`label watch ${j}: ${res.status}`);
      done.push(drain(res.body, E));
    }
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let k = 0; k < E; k++) await t.api.create(podType, pod(`${prefix}-${k}`, `node-${k % Math.max(1, watchers)}`));
    const bytes = (await Promise.all(done)).reduce((a, b) => a + b, 0);
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return { cpuMs: (cpu.user + cpu.system) / 1000, wallMs, bytes };
  } finally {
    await t.close();
  }
}

async function main(): Promise<void> {
  console.log(
    `watch fan-out — node ${process.version}, ${E} pod creates, ${W} per-node watchers + ${L} label watchers`,
  );
  const base = await run(0, 0, 'base');
  const watched = await run(W, L, 'w');
  const perEvent = (ms: number): string => `${((ms * 1000) / E).toFixed(0)} µs`;
  console.log(`| run | wall | CPU | CPU/event | bytes to watchers |`);
  console.log(`|---|---|---|---|---|`);
  console.log(
    `| no watchers | ${base.wallMs.toFixed(0)} ms | ${base.cpuMs.toFixed(0)} ms | ${perEvent(base.cpuMs)} | 0 |`,
  );
  console.log(
    `| ${W}+${L} watchers | ${watched.wallMs.toFixed(0)} ms | ${watched.cpuMs.toFixed(0)} ms | ${perEvent(watched.cpuMs)} | ${(watched.bytes / 1e6).toFixed(1)} MB |`,
  );
  console.log(`watch path: ${perEvent(watched.cpuMs - base.cpuMs)} of CPU per event`);
}

await main();
