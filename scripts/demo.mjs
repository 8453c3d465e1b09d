#!/usr/bin/env node
// `npm run demo`: a local hub and two edge nodes (pi-1 on 127.0.0.2, pi-2 on 127.0.0.3) running the
// example apps (hello; the shop: a frontend calling a catalog and a cart through the node mesh,
// configured by ConfigMaps and a Secret), started from the compiled bins exactly as the README's
// by-hand steps do.
//   --once        verify the demo answers, then stop everything and exit (for smoke tests)
//   --data-dir D  where state and logs go (default: .demo/ in the repo, wiped at start)
//   --hub-address HOST:PORT        where the hub listens (default 127.0.0.1:7400)
//   --node-addresses IP1,IP2       the two nodes' addresses (default 127.0.0.2,127.0.0.3), for machines
//                                  where those are taken
// The parts, in scripts/demo/: options.mjs (the flags and layout), processes.mjs (starting and
// stopping the hub and nodes), hub.mjs (edgectl and the hub's API), checks.mjs (what is verified once
// the pods are Ready), util.mjs (output and polling). This file is the sequence.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// options.mjs first: a bad flag exits before anything else is set up.
import { APPS, COMPONENTS, DATA, FIRST, HUB, HUB_ADDRESS, NODES, once, ROOT, SHOP_PORT } from './demo/options.mjs';
import { checkAdmin, checkCatalogEdit, checkHello, checkShop, showRefused } from './demo/checks.mjs';
import { api, edgectl, hubFetch, KUBECONFIG, listening } from './demo/hub.mjs';
import { start, stopAll } from './demo/processes.mjs';
import { say, until } from './demo/util.mjs';

async function main() {
  if (!existsSync(join(ROOT, 'dist', 'hub', 'main.js')))
    throw new Error('dist/ is missing: run `npm run build` (npm install does it)');
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-examples.mjs'), ...COMPONENTS], {
    stdio: 'inherit',
    cwd: ROOT,
  });
  if (built.status !== 0) throw new Error('building the example components failed');
  if (await listening()) throw new Error(`something already listens on ${HUB} (another demo or hub?): stop it first`);
  rmSync(DATA, { recursive: true, force: true });
  mkdirSync(DATA, { recursive: true });
  say(`== starting edge-hub on ${HUB} (state in ${join(DATA, 'hub')})`);
  start('hub', 'edge-hub.js', ['--data-dir', join(DATA, 'hub'), '--listen', HUB_ADDRESS]);
  await until('the hub', async () => existsSync(KUBECONFIG()) && (await hubFetch('/readyz')).ok);
  for (const n of NODES) {
    say(`== starting edge-node ${n.name} on ${n.address} (${n.labels})`);
    start(n.name, 'edge-node.js', [
      '--server',
      HUB,
      '--token-file',
      join(DATA, 'hub', 'join.token'),
      '--name',
      n.name,
      '--address',
      n.address,
      '--data-dir',
      join(DATA, n.name),
      '--labels',
      n.labels,
    ]);
  }
  await until('both nodes Ready', async () => {
    const nodes = await api('/api/v1/nodes');
    return NODES.every((n) =>
      nodes.items.some(
        (i) =>
          i.metadata.name === n.name && i.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      ),
    );
  });
  say(edgectl(['get', 'nodes']).stdout);
  // The shop's API key: a Secret made from a file (0600), so the key is on no command line and in no
  // manifest; shop.yaml brings the ConfigMaps and refers to the Secret.
  const keyFile = join(DATA, 'shop-api-key');
  writeFileSync(keyFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
  const secret = edgectl(['create', 'secret', 'generic', 'shop-api', `--from-file=api-key=${keyFile}`]);
  process.stdout.write(secret.stdout + secret.stderr);
  if (secret.status !== 0) throw new Error('edgectl create secret generic shop-api failed');
  for (const app of APPS) {
    const r = edgectl(['apply', '-f', app]);
    process.stdout.write(r.stdout + r.stderr);
    if (r.status !== 0) throw new Error(`edgectl apply -f ${app} failed`);
  }
  await until(
    'every pod Running and Ready',
    async () => {
      const pods = await api('/api/v1/pods');
      return (
        pods.items.length > 0 &&
        pods.items.every(
          (p) =>
            p.status?.phase === 'Running' &&
            p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        )
      );
    },
    120_000,
  );
  say(edgectl(['get', 'pods', '-o', 'wide']).stdout);
  let failures = 0;
  failures += await checkHello();
  failures += await checkShop();
  failures += await checkCatalogEdit();
  failures += await checkAdmin(keyFile);
  await showRefused();
  say(
    "(A NodePort spreads over the frontends of both nodes; a pod's calls stay on its node while a replica there is ready and not overloaded.)",
  );
  say(`
Edgeplane is running: a hub and two edge nodes serving the hello component and the shop.
  curl http://${FIRST}:30080/ ; curl http://${NODES[1].address}:30080/
  curl http://${FIRST}:${SHOP_PORT}/            # the shop's page; /api/shop the same as JSON
  curl -H "Authorization: Bearer $(cat ${keyFile})" http://${FIRST}:${SHOP_PORT}/admin   # the API key from Secret shop-api
  export EDGE_CONFIG=${KUBECONFIG()}      # the hub's kubeconfig: its URL, CA and admin token (KUBECONFIG for kubectl)
  npx edgectl get pods -o wide
  npx edgectl get configmaps,secrets            # the shop's settings (a Secret shows its key count, not its values)
Logs: ${DATA}/*.log.  ${once ? 'Stopping (--once).' : 'Ctrl-C stops everything.'}`);
  if (once) stopAll(failures === 0 ? 0 : 1);
}

main().catch((err) => {
  process.stderr.write(`demo failed: ${err.message}\n`);
  stopAll(1);
});
