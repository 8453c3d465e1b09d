/**
 * The hollow-node harness process. Two ways to run it:
 * - forked by `bench/fleet.ts` (or the fleet test) through `HarnessClient`: commands over IPC;
 * - by hand, against any running hub (e.g. one built in another worktree):
 *     npx tsx bench/hollow/main.ts --server https://127.0.0.1:7400 --token-file <hub-data>/join.token \
 *       --nodes 1000 [--data-dir /tmp/hollow] [--ramp <ms>] [--every <ms>]
 *   joins, connects, then prints the fleet's counts every 5 s until Ctrl-C.
 */
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HollowFleet } from './fleet.js';
import { HarnessRequest, type HarnessCommand, type HarnessReply } from './protocol.js';

let fleet: HollowFleet | undefined;

function need(): HollowFleet {
  if (!fleet) throw new Error('the harness has no fleet yet: send init first');
  return fleet;
}

async function run(c: HarnessCommand): Promise<unknown> {
  switch (c.cmd) {
    case 'init': {
      if (fleet) throw new Error('the harness already has a fleet');
      const joinToken = await readFile(c.tokenFile, 'utf8');
      fleet = await HollowFleet.create({
        server: c.server,
        joinToken,
        dataDir: c.dataDir,
        nodes: c.nodes,
        ...(c.prefix !== undefined ? { prefix: c.prefix } : {}),
        ...(c.tuning !== undefined ? { tuning: c.tuning } : {}),
      });
      return { nodes: c.nodes };
    }
    case 'join':
      return need().join(c.concurrency, c.forceCsr);
    case 'start':
      need().start(c.rampMs);
      return true;
    case 'kill':
      need().kill();
      return true;
    case 'stats':
      return need().stats();
    case 'progress':
      return need().progress();
    case 'resetCounters':
      need().resetCounters();
      return true;
    case 'setReady':
      return need().setReady(c.ready, c.uid) ?? null;
    case 'markAssignments':
      return need().markAssignments();
    case 'diffAssignments':
      return need().diffAssignments();
    case 'dialReport':
      return need().dialReport();
    case 'close':
      await fleet?.close();
      fleet = undefined;
      return true;
  }
}

function serveIpc(): void {
  process.on('message', (raw: unknown) => {
    const parsed = HarnessRequest.safeParse(raw);
    const id = typeof raw === 'object' && raw !== null && 'id' in raw && typeof raw.id === 'number' ? raw.id : -1;
    const reply = (r: HarnessReply): void => void process.send?.(r);
    if (!parsed.success) {
      reply({ id, ok: false, error: `bad harness command: ${parsed.error.issues[0]?.message ?? 'invalid'}` });
      return;
    }
    run(parsed.data.command).then(
      (result) => reply({ id, ok: true, result }),
      (err: unknown) => reply({ id, ok: false, error: err instanceof Error ? err.message : String(err) }),
    );
  });
  // The driver went away: nothing to simulate for.
  process.on('disconnect', () => process.exit(0));
}

async function standalone(): Promise<void> {
  const { values } = parseArgs({
    options: {
      server: { type: 'string' },
      'token-file': { type: 'string' },
      nodes: { type: 'string', default: '100' },
      'data-dir': { type: 'string', default: join(tmpdir(), 'edgeplane-hollow') },
      ramp: { type: 'string', default: '0' },
      prefix: { type: 'string' },
      every: { type: 'string', default: '5000' },
    },
  });
  if (!values.server || !values['token-file']) {
    console.error(
      'usage: main.ts --server https://host:port --token-file <join.token> --nodes N [--data-dir D] [--ramp ms]',
    );
    process.exit(2);
  }
  const nodes = Number(values.nodes);
  if (!Number.isInteger(nodes) || nodes < 1) throw new Error(`--nodes: "${values.nodes}" is not a whole number`);
  await run({
    cmd: 'init',
    server: values.server,
    tokenFile: values['token-file'],
    dataDir: values['data-dir'],
    nodes,
    ...(values.prefix !== undefined ? { prefix: values.prefix } : {}),
  });
  const joined = await need().join();
  console.log(
    `joined ${nodes} nodes in ${joined.ms} ms (stored ${joined.stored}, csr ${joined.csr}, new key+csr ${joined.keygenCsr}, failed ${joined.failed})`,
  );
  const t0 = Date.now();
  need().start(Number(values.ramp));
  const timer = setInterval(
    () => {
      const s = need().stats();
      console.log(
        `${((Date.now() - t0) / 1000).toFixed(1)}s connected ${s.connected}/${s.nodes} pods ${s.podsHeld} ready ${s.podsReadyHeld}` +
          ` drops ${s.tally.drops} failedDials ${s.tally.failedDials} pongTimeouts ${s.tally.pongTimeouts}` +
          (s.tally.errors.length ? ` last error: ${s.tally.errors.at(-1)}` : ''),
      );
    },
    Number(values.every) || 5000,
  );
  process.on('SIGINT', () => {
    clearInterval(timer);
    void need()
      .close()
      .then(() => process.exit(0));
  });
}

if (process.send) serveIpc();
else await standalone();
