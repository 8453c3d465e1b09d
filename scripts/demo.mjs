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
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, fetch as fetchWithCa } from 'undici';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const once = args.includes('--once');
/** The value after `--name` (or in `--name=value`), else `fallback`. */
function flag(name, fallback) {
  const i = args.indexOf(name);
  if (i >= 0) {
    if (args[i + 1] === undefined) usage(`${name} needs a value`);
    return args[i + 1];
  }
  const eq = args.find((a) => a.startsWith(`${name}=`));
  return eq ? eq.slice(name.length + 1) : fallback;
}
function usage(msg) {
  process.stderr.write(
    `demo: ${msg}\nusage: npm run demo -- [--once] [--data-dir DIR] [--hub-address HOST:PORT] [--node-addresses IP1,IP2]\n`,
  );
  process.exit(2);
}
const DATA = resolve(flag('--data-dir', join(ROOT, '.demo')));
const HUB_ADDRESS = flag('--hub-address', '127.0.0.1:7400');
if (!/^[^:\s]+:\d{1,5}$/.test(HUB_ADDRESS)) usage(`--hub-address ${HUB_ADDRESS}: expected HOST:PORT`);
const HUB = `https://${HUB_ADDRESS}`;
const NODE_ADDRESSES = flag('--node-addresses', '127.0.0.2,127.0.0.3').split(',');
if (NODE_ADDRESSES.length !== 2 || NODE_ADDRESSES.some((a) => !/^[0-9a-fA-F.:]+$/.test(a)))
  usage(`--node-addresses ${NODE_ADDRESSES.join(',')}: expected two IP addresses, comma-separated`);
const NODES = [
  { name: 'pi-1', address: NODE_ADDRESSES[0], labels: 'zone=a' },
  { name: 'pi-2', address: NODE_ADDRESSES[1], labels: 'zone=b' },
];
const FIRST = NODES[0].address;
const APPS = [join(ROOT, 'examples/wasm-apps/hello/hello.yaml'), join(ROOT, 'examples/wasm-apps/shop/shop.yaml')];
/** The components the apps deploy, built from source (cached): hello and the shop's three. */
const COMPONENTS = ['hello', ...['frontend', 'catalog', 'cart'].map((c) => join(ROOT, 'examples/wasm-apps/shop', c))];
const SHOP_PORT = 30088;

const children = [];
const say = (msg) => process.stdout.write(`${msg}\n`);

function start(name, bin, argv) {
  const log = openSync(join(DATA, `${name}.log`), 'a');
  const child = spawn(process.execPath, [join(ROOT, 'bin', bin), ...argv], { stdio: ['ignore', log, log] });
  child.on('exit', (code, signal) => {
    if (!stopping) say(`!! ${name} exited (${signal ?? code}); see ${join(DATA, `${name}.log`)}`);
  });
  children.push(child);
  return child;
}

let stopping = false;
function stopAll(code) {
  stopping = true;
  for (const c of children) c.kill('SIGTERM');
  setTimeout(() => process.exit(code), 500).unref();
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

async function until(what, fn, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const KUBECONFIG = () => join(DATA, 'hub', 'admin.kubeconfig');

// edgectl as a user runs it after the hub's startup message: EDGE_CONFIG names the hub's kubeconfig
// (server, CA, admin token).
function edgectl(argv, input) {
  const { EDGE_SERVER: _s, EDGE_TOKEN: _t, ...env } = process.env;
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'edgectl.js'), ...argv], {
    encoding: 'utf8',
    input,
    env: { ...env, EDGE_CONFIG: KUBECONFIG() },
  });
}

/** A fetch of the hub trusting its cluster CA (created by the hub on first start). */
let hubAgent;
function hubFetch(path, init = {}) {
  hubAgent ??= new Agent({ connect: { ca: readFileSync(join(DATA, 'hub', 'pki', 'ca.crt'), 'utf8') } });
  return fetchWithCa(`${HUB}${path}`, { ...init, dispatcher: hubAgent });
}

/** True when something accepts TCP connections on the hub's port. */
function listening() {
  const { hostname, port } = new URL(HUB);
  return new Promise((res) => {
    const s = connect(Number(port), hostname, () => {
      s.destroy();
      res(true);
    });
    s.on('error', () => res(false));
  });
}

async function api(path) {
  const token = readFileSync(join(DATA, 'hub', 'admin.token'), 'utf8').trim();
  const res = await hubFetch(path, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return res.json();
}

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
  for (const n of NODES) {
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`http://${n.address}:30080/`).catch((e) => ({
        ok: false,
        status: e.message,
        text: async () => '',
      }));
      if (!res.ok) failures++;
      say(`curl http://${n.address}:30080/  →  ${res.status} ${(await res.text()).trim()}`);
    }
  }
  // The shop: the frontend (a NodePort) asks the catalog and the cart (in-mesh only) by service name.
  let greeted = false;
  for (const n of [...NODES, ...NODES]) {
    const url = `http://${n.address}:${SHOP_PORT}/api/shop`;
    const get = () => fetch(url).catch((e) => ({ ok: false, status: e.message, text: async () => '' }));
    // Ready pods reach every node's endpoint table a moment after the hub sees them Ready.
    const res = await until(
      `the shop answering on ${n.name}`,
      async () => {
        const r = await get();
        return r.ok ? r : undefined;
      },
      10_000,
    ).catch(get);
    const text = await res.text();
    if (!res.ok) {
      failures++;
      say(`curl ${url}  →  ${res.status} ${text.trim()}`);
      continue;
    }
    const shop = JSON.parse(text);
    if (n === NODES[0] && !greeted) {
      greeted = true;
      say(`(settings from ConfigMap shop-settings: title "${shop.title}", greeting "${shop.greeting}")`);
    }
    const total = `${(shop.cart.total / 100).toFixed(2)} ${shop.cart.currency}`;
    say(
      `curl ${url}  →  200: frontend ${shop.pod} (${shop.node}) → catalog ${shop.catalog.pod} (${shop.catalog.node}), ` +
        `cart ${shop.cart.pod} (${shop.cart.node}) → catalog ${shop.cart.catalog.pod} (${shop.cart.catalog.node}); basket total ${total}`,
    );
  }
  // The catalog's items come from ConfigMap shop-catalog, mounted as a file: an edit reaches the
  // running pods (the kubelet's ..data swap) and the next answers, with no restart.
  const catalogUrl = `http://${FIRST}:${SHOP_PORT}/debug/call?url=http://catalog/items`;
  const items = async () => {
    const r = await fetch(catalogUrl);
    const body = JSON.parse((await r.json()).body);
    return { source: body.source, tea: body.items.find((i) => i.sku === 'tea')?.price };
  };
  const before = await items().catch((e) => ({ error: e.message }));
  say(
    `curl 'http://${FIRST}:${SHOP_PORT}/debug/call?url=http://catalog/items'  →  items from ${before.source}, tea ${before.tea}`,
  );
  const catalogMap = edgectl(['get', 'configmap', 'shop-catalog', '-o', 'json']);
  const edited = JSON.parse(catalogMap.stdout);
  edited.data['items.json'] = edited.data['items.json'].replace('"price": 650', '"price": 700');
  delete edited.metadata.resourceVersion;
  const changedAt = Date.now();
  const applied = edgectl(['apply', '-f', '-'], JSON.stringify(edited));
  if (applied.status !== 0) throw new Error(`edgectl apply of the edited ConfigMap failed: ${applied.stderr}`);
  const after = await until('the new tea price', async () => ((await items()).tea === 700 ? true : undefined), 30_000)
    .then(() => `${Date.now() - changedAt} ms`)
    .catch((e) => {
      failures++;
      return e.message;
    });
  say(
    `ConfigMap shop-catalog edited (tea 650 → 700 cents): the catalog serves the new price after ${after}, no restart`,
  );
  // The admin route checks the API key from Secret shop-api (SHOP_API_KEY in the frontend's env).
  const adminUrl = `http://${FIRST}:${SHOP_PORT}/admin`;
  const key = readFileSync(keyFile, 'utf8');
  const admin = async (headers) => {
    const r = await fetch(adminUrl, { headers }).catch((e) => ({ status: e.message, text: async () => '' }));
    return { status: r.status, text: (await r.text()).trim() };
  };
  const noKey = await admin({});
  const withKey = await admin({ authorization: `Bearer ${key}` });
  if (noKey.status !== 401 || withKey.status !== 200) failures++;
  say(`curl ${adminUrl}  →  ${noKey.status} (no API key)`);
  say(`curl -H "Authorization: Bearer <the key in ${keyFile}>" ${adminUrl}  →  ${withKey.status} ${withKey.text}`);
  const refusedUrl = `http://${FIRST}:${SHOP_PORT}/debug/call?url=http://example.com/`;
  const refused = await fetch(refusedUrl).then(
    (r) => r.text(),
    (e) => e.message,
  );
  say(`curl '${refusedUrl}'  →  ${refused.trim()}  (not a Service: the node refuses it)`);
  say(
    "(A NodePort spreads over the frontends of both nodes; a pod's calls stay on its node while a replica there is ready and not overloaded.)",
  );
  say(`
Edgeplane is running: a hub and two edge nodes serving the hello component and the shop.
  curl http://${FIRST}:30080/ ; curl http://${NODES[1].address}:30080/
  curl http://${FIRST}:${SHOP_PORT}/            # the shop's page; /api/shop the same as JSON
  curl -H "Authorization: Bearer $(cat ${keyFile})" http://${FIRST}:${SHOP_PORT}/admin   # the API key from Secret shop-api
  npx edgectl get configmaps,secrets            # the shop's settings (a Secret shows its key count, not its values)
  export EDGE_CONFIG=${KUBECONFIG()}      # the hub's kubeconfig: its URL, CA and admin token (KUBECONFIG for kubectl)
  npx edgectl get pods -o wide
Logs: ${DATA}/*.log.  ${once ? 'Stopping (--once).' : 'Ctrl-C stops everything.'}`);
  if (once) stopAll(failures === 0 ? 0 : 1);
}

main().catch((err) => {
  process.stderr.write(`demo failed: ${err.message}\n`);
  stopAll(1);
});
