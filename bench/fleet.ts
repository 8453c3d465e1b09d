/**
 * Fleet benchmark (prints figures; asserts nothing about timing): a real `edge-hub` and a harness
 * process of N hollow nodes (bench/hollow) speaking the real protocol with real credentials.
 *
 *   npx tsx bench/fleet.ts [--nodes 100] [--replicas 1000] [--scenarios register,deploy,service,storm[,stall,daemonset,rollout]]
 *        [--repo <checkout with a built hub>] [--timeout 300s] [--cpu-prof <dir>] [--identity-dir <dir>]
 *        [--start-delay 200-500] [--idle 10s] [--stall 50s] [--hub-node-options=--max-semi-space-size=64]
 *        [--hub-output <file>]
 *        [-- <hub flags…>]
 *
 * Scenarios: registration of N nodes (time to all Ready, idle hub load after), when named a DaemonSet
 * (a pod on every node: pods/s delivered and Ready, API p50/p99 during it), a Deployment of R
 * replicas (pods/s bound and Ready, API p50/p99 sampled during it), when named a rolling update of it
 * (every pod replaced: pods/s, the fewest available on the way), one endpoint's readiness flip
 * under a Service (frames and bytes per node), a reconnect storm (hub kill -9 + restart), and, when
 * named, a stall (the hub SIGSTOPped past the grace period, then SIGCONT: nothing should move). The hub's
 * CPU/RSS come from /proc; the longest event-loop block from the hub's /metrics when it has
 * nodejs_eventloop_lag_max_seconds, else from /healthz round trips every 20 ms (labelled).
 * `--hub-output` appends everything the hub prints to a file (with `--hub-node-options=--trace-gc-nvp`:
 * each GC's phases). Run it under `flock /tmp/edgeplane-e2e.lock` on a shared machine.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDurationSeconds } from '../src/api/index.js';
import { FleetRun } from './hollow/run.js';
import { daemonSet } from './hollow/scenarios/daemonset.js';
import { deploy } from './hollow/scenarios/deploy.js';
import { endpointChange } from './hollow/scenarios/endpoint-change.js';
import type { LoadFigures } from './hollow/scenarios/load.js';
import { podCensus } from './hollow/scenarios/pod-census.js';
import { rollout } from './hollow/scenarios/rollout.js';
import { register } from './hollow/scenarios/register.js';
import { stall } from './hollow/scenarios/stall.js';
import { storm } from './hollow/scenarios/storm.js';
import { dialGroupRows, reasonsText } from './hollow/scenarios/storm-dials.js';

const ALL = ['register', 'daemonset', 'deploy', 'rollout', 'service', 'storm', 'stall'] as const;
/**
 * Scenarios run unless `--scenarios` names them (stall: a minute of a stopped hub; daemonset: one pod a
 * node; rollout: every pod of the Deployment replaced).
 */
const DEFAULT = ['register', 'deploy', 'service', 'storm'];

function seconds(text: string, flag: string): number {
  const s = parseDurationSeconds(text);
  if (s === undefined || s <= 0) throw new Error(`${flag}: "${text}" is not a duration (e.g. 300s, 5m)`);
  return s;
}

function whole(text: string, flag: string, min = 0): number {
  const v = Number(text);
  if (!/^\d+$/.test(text) || v < min) throw new Error(`${flag}: "${text}" is not a whole number of at least ${min}`);
  return v;
}

const rows: Array<[string, string, string]> = [];
const row = (scenario: string, metric: string, value: string): void => void rows.push([scenario, metric, value]);
const f0 = (x: number): string => (Number.isFinite(x) ? x.toFixed(0) : '–');
const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '–');
const secs = (ms: number): string => (ms > 0 ? `${(ms / 1000).toFixed(1)} s` : 'not reached');

function loadRows(scenario: string, l: LoadFigures): void {
  row(scenario, 'hub CPU avg / peak (1 s)', `${f0(l.hub.avgCpuPct)}% / ${f0(l.hub.peakCpuPct)}% of a core`);
  row(scenario, 'hub RSS peak', `${f0(l.hub.peakRssMb)} MB`);
  row(scenario, 'harness CPU avg / RSS peak', `${f0(l.harness.avgCpuPct)}% / ${f0(l.harness.peakRssMb)} MB`);
  const how = l.loop.source === 'metrics' ? 'nodejs_eventloop_lag_max_seconds' : 'longest /healthz round trip';
  row(scenario, `longest event-loop block (${how})`, `${f0(l.loop.maxBlockMs)} ms`);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      nodes: { type: 'string', default: '100' },
      replicas: { type: 'string', default: '1000' },
      scenarios: { type: 'string', default: DEFAULT.join(',') },
      stall: { type: 'string', default: '50s' },
      repo: { type: 'string', default: resolve(import.meta.dirname, '..') },
      timeout: { type: 'string', default: '300s' },
      'cpu-prof': { type: 'string' },
      'identity-dir': { type: 'string' },
      'start-delay': { type: 'string', default: '200-500' },
      idle: { type: 'string', default: '10s' },
      'hub-node-options': { type: 'string', default: '' },
      'hub-output': { type: 'string' },
    },
  });
  const nodes = whole(values.nodes, '--nodes', 1);
  const replicas = whole(values.replicas, '--replicas');
  const timeoutMs = seconds(values.timeout, '--timeout') * 1000;
  const idleMs = seconds(values.idle, '--idle') * 1000;
  const stallMs = seconds(values.stall, '--stall') * 1000;
  const wanted = values.scenarios.split(',').map((s) => s.trim());
  for (const s of wanted)
    if (!(ALL as readonly string[]).includes(s))
      throw new Error(`--scenarios: unknown "${s}" (known: ${ALL.join(', ')})`);
  const delay = /^(\d+)-(\d+)$/.exec(values['start-delay']);
  if (!delay) throw new Error(`--start-delay: "${values['start-delay']}" is not <min>-<max> in ms`);
  const repo = resolve(values.repo);
  const hubNodeOptions = values['hub-node-options'].split(' ').filter((o) => o !== '');
  let commit = '?';
  try {
    commit = execFileSync('git', ['-C', repo, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout: the figures still stand, without a commit
  }
  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) return;
    interrupted = true;
    run.log('interrupted: stopping the hub and the harness, then printing the figures so far');
    void run.close().then(() => {
      printTable();
      process.exit(130);
    });
  };
  const printTable = (): void => {
    console.log(
      `\nedgeplane fleet benchmark — ${new Date().toISOString()}, hub ${repo} @ ${commit}, node ${process.version}, ` +
        `${nodes} hollow nodes, ${replicas} replicas, hub flags: ${positionals.join(' ') || '(none)'}, ` +
        `hub node options: ${hubNodeOptions.join(' ') || '(none)'}\n`,
    );
    console.log('| scenario | metric | value |\n|---|---|---|');
    for (const [s, m, v] of rows) console.log(`| ${s} | ${m} | ${v} |`);
  };
  const run = await FleetRun.start({
    repo,
    nodes,
    hubFlags: positionals,
    hubNodeOptions,
    tuning: { startDelayMs: [Number(delay[1]), Number(delay[2])] },
    ...(values['cpu-prof'] ? { cpuProfDir: resolve(values['cpu-prof']) } : {}),
    ...(values['identity-dir'] ? { identityDir: resolve(values['identity-dir']) } : {}),
    ...(values['hub-output'] ? { hubOutput: resolve(values['hub-output']) } : {}),
  });
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const reg = await register(run, timeoutMs, idleMs);
    row(
      'register',
      'first join (key + CSR per node)',
      `${secs(reg.join.ms)} (stored ${reg.join.stored}, CSR ${reg.join.csr + reg.join.keygenCsr})`,
    );
    row('register', `${nodes} nodes connected / Ready`, `${secs(reg.allConnectedMs)} / ${secs(reg.allReadyMs)}`);
    row('register', 'session drops / failed dials', `${reg.drops} / ${reg.failedDials}`);
    const q = (v: [number, number, number]): string => v.map((ms) => (ms / 1000).toFixed(1)).join(' / ') + ' s';
    row('register', 'welcomed dial started p50 / p90 / max', q(reg.dials.dialed));
    row('register', 'that dial → welcome p50 / p90 / max', q(reg.dials.dialToWelcome));
    row('register', 'failed dials by reason', reasonsText(reg.dials.failures));
    loadRows('register', reg.load);
    row(
      'register',
      `idle ${idleMs / 1000} s: hub CPU avg / RSS`,
      `${f1(reg.idle.avgCpuPct)}% / ${f0(reg.idle.lastRssMb)} MB`,
    );
    const t = reg.idleTraffic;
    row(
      'register',
      'idle, per node a minute: pings / frames to hub / from hub',
      `${f1(t.pings)} / ${f1(t.framesOut)} / ${f1(t.framesIn)}`,
    );
    if (wanted.includes('daemonset')) {
      const d = await daemonSet(run, nodes, timeoutMs);
      const label = `daemonset on ${nodes}`;
      row(
        label,
        'all delivered / all Ready',
        `${secs(d.allDeliveredMs)} / ${secs(d.allReadyMs)}${d.complete ? '' : ' (INCOMPLETE)'}`,
      );
      row(label, 'pods/s delivered / Ready', `${f0(d.deliveredPerSec)} / ${f0(d.readyPerSec)}`);
      row(label, 'GET p50 / p99 (n)', `${f0(d.api.get.p50)} / ${f0(d.api.get.p99)} ms (${d.api.get.n})`);
      row(label, 'write p50 / p99 (n)', `${f0(d.api.write.p50)} / ${f0(d.api.write.p99)} ms (${d.api.write.n})`);
      row(label, 'API errors / node NotReady flips / session drops', `${d.api.errors} / ${d.flaps} / ${d.drops}`);
      loadRows(label, d.load);
    }
    const deployed = wanted.includes('deploy') && replicas > 0;
    let whole = true;
    if (deployed) {
      const d = await deploy(run, replicas, timeoutMs);
      whole = d.complete;
      const label = `deploy ${replicas}`;
      row(
        label,
        'all bound / all Ready',
        `${secs(d.allBoundMs)} / ${secs(d.allReadyMs)}${d.complete ? '' : ' (INCOMPLETE)'}`,
      );
      row(label, 'pods/s bound / Ready', `${f0(d.boundPerSec)} / ${f0(d.readyPerSec)}`);
      row(label, 'GET p50 / p99 (n)', `${f0(d.api.get.p50)} / ${f0(d.api.get.p99)} ms (${d.api.get.n})`);
      row(label, 'LIST selector p50 / p99 (n)', `${f0(d.api.list.p50)} / ${f0(d.api.list.p99)} ms (${d.api.list.n})`);
      row(label, 'write p50 / p99 (n)', `${f0(d.api.write.p50)} / ${f0(d.api.write.p99)} ms (${d.api.write.n})`);
      row(label, 'API errors / node NotReady flips / session drops', `${d.api.errors} / ${d.flaps} / ${d.drops}`);
      loadRows(label, d.load);
    }
    if (wanted.includes('rollout') && deployed && whole) {
      const u = await rollout(run, replicas, timeoutMs);
      whole = u.complete;
      const label = `rollout ${replicas}`;
      row(label, 'all replaced and Ready', `${secs(u.doneMs)}${u.complete ? '' : ' (INCOMPLETE)'}`);
      row(label, 'pods/s replaced / fewest available', `${f0(u.replacedPerSec)} / ${u.leastAvailable}`);
      row(label, 'GET p50 / p99 (n)', `${f0(u.api.get.p50)} / ${f0(u.api.get.p99)} ms (${u.api.get.n})`);
      row(label, 'write p50 / p99 (n)', `${f0(u.api.write.p50)} / ${f0(u.api.write.p99)} ms (${u.api.write.n})`);
      row(label, 'API errors / node NotReady flips / session drops', `${u.api.errors} / ${u.flaps} / ${u.drops}`);
      loadRows(label, u.load);
    }
    // After a rollout that did not finish, the fleet is not in a state the next scenarios mean to start from.
    if (!whole) row('service, storm, stall', 'skipped', 'the rollout did not finish');
    if (wanted.includes('service') && deployed && whole) {
      const e = await endpointChange(run, replicas, Math.min(timeoutMs, 120_000));
      for (const [label, c] of [
        ['Service created', e.create],
        ['endpoint flip', e.flip],
      ] as const) {
        const types = Object.entries(c.frames)
          .map(([t, x]) => `${t} ${x.frames}×/${f0(x.bytes / 1024)} KB`)
          .join(', ');
        row(
          label,
          `per node (of ${nodes}), ${e.endpoints} endpoints`,
          `${f1(c.perNodeFrames)} frames, ${f0(c.perNodeBytes)} B`,
        );
        row(label, 'whole fleet', types || 'nothing');
        row(
          label,
          'largest node / last frame after',
          `${f0(c.maxNodeBytes)} B / ${secs(c.lastFrameMs)}${c.settled ? '' : ' (still arriving: NOT SETTLED)'}`,
        );
        row(
          label,
          'session drops (of them pong timeouts) / resyncs / connected at end',
          `${c.drops} (${c.pongTimeouts}) / ${c.resyncs} / ${c.connected}`,
        );
        const warned = c.hubWarnings.slice(0, 3).map(([m, n]) => `${n}× "${m}"`);
        row(label, 'hub warnings (most frequent)', warned.join('; ') || 'none');
        loadRows(label, c.load);
      }
    }
    if (wanted.includes('storm') && whole) {
      const s = await storm(run, deployed ? replicas : 0, timeoutMs);
      row('storm', 'kill -9 → serving', secs(s.listenMs));
      row(
        'storm',
        'restart → all connected / all Ready',
        `${secs(s.allConnectedMs)} / ${secs(s.allReadyMs)}${s.complete ? '' : ' (INCOMPLETE)'}`,
      );
      row(
        'storm',
        'pods moved / missing / new',
        `${s.placement.moved} / ${s.placement.missing} / ${s.placement.added} (of ${s.placement.before})`,
      );
      row('storm', 'max NotReady / NotReady flips', `${secs(s.maxNotReadyMs)} / ${s.flaps}`);
      for (const [m, v] of dialGroupRows(s.dials)) row('storm', m, v);
      loadRows('storm', s.load);
    }
    if (wanted.includes('stall') && whole) {
      const s = await stall(run, deployed ? replicas : 0, stallMs, timeoutMs);
      const label = `stall ${s.stallMs / 1000} s`;
      row(
        label,
        'SIGCONT → all connected (harness) / all Ready (watch)',
        `${secs(s.allConnectedMs)} / ${secs(s.allReadyMs)}${s.complete ? '' : ' (INCOMPLETE)'}`,
      );
      row(
        label,
        'pods moved / missing / new (evictions would wait 30 s more)',
        `${s.placement.moved} / ${s.placement.missing} / ${s.placement.added} (of ${s.placement.before})`,
      );
      row(label, 'max NotReady / NotReady flips (to 5 s after all Ready)', `${secs(s.maxNotReadyMs)} / ${s.flaps}`);
    }
    if (deployed) {
      const c = await podCensus(run);
      row('end', 'pods / bound / Ready / terminating (hub)', `${c.pods} / ${c.bound} / ${c.ready} / ${c.terminating}`);
    }
  } finally {
    const stats = interrupted ? undefined : await run.harness.send({ cmd: 'stats' }).catch(() => undefined);
    if (!interrupted) await run.close();
    if (!interrupted) printTable();
    if (stats) console.log(`\nharness: longest event-loop lag of its own ${f0(stats.harnessMaxLagMs)} ms`);
    if (stats?.tally.errors.length)
      console.log(`\nharness errors (last distinct): ${stats.tally.errors.slice(-5).join(' | ')}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
