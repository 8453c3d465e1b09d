/**
 * What the demo checks and shows once every pod is Ready: hello on both nodes, the shop through the
 * node mesh, a ConfigMap edit reaching the running catalog, the Secret-guarded admin route, and the
 * node refusing a call to something that is not a Service. Each check prints its curl-like lines and
 * resolves to how many of its answers were wrong.
 */
import { readFileSync } from 'node:fs';
import { edgectl } from './hub.mjs';
import { FIRST, NODES, SHOP_PORT } from './options.mjs';
import { say, until } from './util.mjs';

/** GETs hello's NodePort twice on each node. */
export async function checkHello() {
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
  return failures;
}

/** The shop: the frontend (a NodePort) asks the catalog and the cart (in-mesh only) by service name. */
export async function checkShop() {
  let failures = 0;
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
  return failures;
}

/**
 * The catalog's items come from ConfigMap shop-catalog, mounted as a file: an edit reaches the
 * running pods (the kubelet's ..data swap) and the next answers, with no restart. Edits tea's price
 * and times how long until the catalog serves it.
 */
export async function checkCatalogEdit() {
  let failures = 0;
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
  return failures;
}

/** The admin route checks the API key from Secret shop-api (SHOP_API_KEY in the frontend's env). */
export async function checkAdmin(keyFile) {
  const adminUrl = `http://${FIRST}:${SHOP_PORT}/admin`;
  const key = readFileSync(keyFile, 'utf8');
  const admin = async (headers) => {
    const r = await fetch(adminUrl, { headers }).catch((e) => ({ status: e.message, text: async () => '' }));
    return { status: r.status, text: (await r.text()).trim() };
  };
  const noKey = await admin({});
  const withKey = await admin({ authorization: `Bearer ${key}` });
  say(`curl ${adminUrl}  →  ${noKey.status} (no API key)`);
  say(`curl -H "Authorization: Bearer <the key in ${keyFile}>" ${adminUrl}  →  ${withKey.status} ${withKey.text}`);
  return noKey.status !== 401 || withKey.status !== 200 ? 1 : 0;
}

/** Shows the node refusing a pod's call to a URL that is not a Service (not counted as a failure). */
export async function showRefused() {
  const refusedUrl = `http://${FIRST}:${SHOP_PORT}/debug/call?url=http://example.com/`;
  const refused = await fetch(refusedUrl).then(
    (r) => r.text(),
    (e) => e.message,
  );
  say(`curl '${refusedUrl}'  →  ${refused.trim()}  (not a Service: the node refuses it)`);
}
