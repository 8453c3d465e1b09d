/**
 * The demo's command line and layout: where state goes, where the hub and the two nodes listen, and
 * which apps and components it deploys. Read when imported, so a bad flag stops the demo (exit 2)
 * before anything starts.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root (this file is scripts/demo/options.mjs). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const USAGE =
  'usage: npm run demo -- [--once] [--data-dir DIR] [--hub-address HOST:PORT] [--node-addresses IP1,IP2]\n' +
  '  --once                     verify the demo answers, then stop everything and exit\n' +
  '  --data-dir DIR             where state and logs go (default .demo/ in the repo, wiped at start)\n' +
  '  --hub-address HOST:PORT    where the hub listens (default 127.0.0.1:7400)\n' +
  "  --node-addresses IP1,IP2   the two nodes' addresses (default 127.0.0.2,127.0.0.3)\n";
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const VALUED = ['--data-dir', '--hub-address', '--node-addresses'];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--once' || VALUED.some((f) => a.startsWith(`${f}=`))) continue;
  if (VALUED.includes(a)) i++;
  else usage(`unknown argument ${a}`);
}
/** --once: verify the demo answers, then stop everything and exit. */
export const once = args.includes('--once');
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
  process.stderr.write(`demo: ${msg}\n${USAGE}`);
  process.exit(2);
}
export const DATA = resolve(flag('--data-dir', join(ROOT, '.demo')));
export const HUB_ADDRESS = flag('--hub-address', '127.0.0.1:7400');
if (!/^[^:\s]+:\d{1,5}$/.test(HUB_ADDRESS)) usage(`--hub-address ${HUB_ADDRESS}: expected HOST:PORT`);
export const HUB = `https://${HUB_ADDRESS}`;
const NODE_ADDRESSES = flag('--node-addresses', '127.0.0.2,127.0.0.3').split(',');
if (NODE_ADDRESSES.length !== 2 || NODE_ADDRESSES.some((a) => !/^[0-9a-fA-F.:]+$/.test(a)))
  usage(`--node-addresses ${NODE_ADDRESSES.join(',')}: expected two IP addresses, comma-separated`);
export const NODES = [
  { name: 'pi-1', address: NODE_ADDRESSES[0], labels: 'zone=a' },
  { name: 'pi-2', address: NODE_ADDRESSES[1], labels: 'zone=b' },
];
export const FIRST = NODES[0].address;
export const APPS = [
  join(ROOT, 'examples/wasm-apps/hello/hello.yaml'),
  join(ROOT, 'examples/wasm-apps/shop/shop.yaml'),
];
/** The components the apps deploy, built from source (cached): hello and the shop's three. */
export const COMPONENTS = [
  'hello',
  ...['frontend', 'catalog', 'cart'].map((c) => join(ROOT, 'examples/wasm-apps/shop', c)),
];
export const SHOP_PORT = 30088;
