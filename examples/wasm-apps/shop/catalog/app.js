// catalog: the shop's product list with prices. In-mesh only (a ClusterIP Service): the frontend and
// the cart reach it as http://catalog. Stateless. Its settings come from outside the code, the
// Kubernetes way (shop.yaml): the item list from a ConfigMap mounted as a file (CATALOG_FILE, a JSON
// array of {sku, name, price}; re-read at most once a second, so an edited ConfigMap shows up without
// a restart), the currency from a ConfigMap key as env (CURRENCY). Without CATALOG_FILE it serves the
// built-in list below.
//   GET /items          {pod, node, servedAt, currency, source, items: [{sku, name, price}]}  (price in
//                       cents; source: the file, or "built-in"); 503 {error} when the file is unreadable
//   GET /items/<sku>    one item, or 404
//   GET /healthz        liveness; GET /ready: readiness (503 inside UNREADY_FROM..UNREADY_UNTIL, epoch ms)
import { readText } from '../lib/files.js';
import { env, json, readyNow, requestLine, respond, whoami } from '../lib/http.js';

const BUILT_IN = [
  { sku: 'tea', name: 'Green tea, 100 g', price: 650 },
  { sku: 'mug', name: 'Stoneware mug', price: 1200 },
  { sku: 'honey', name: 'Heather honey, 250 g', price: 890 },
  { sku: 'biscuits', name: 'Oat biscuits', price: 320 },
];
const REREAD_MS = 1000;
const MAX_ITEMS = 1000;

/** Checks a parsed item list; returns the items or throws naming what is wrong. */
function validItems(doc, file) {
  if (!Array.isArray(doc)) throw new Error(`${file}: want a JSON array of {sku, name, price}`);
  if (doc.length > MAX_ITEMS) throw new Error(`${file}: more than ${MAX_ITEMS} items`);
  return doc.map((i, n) => {
    if (!i || typeof i.sku !== 'string' || !/^[a-z0-9-]{1,40}$/.test(i.sku))
      throw new Error(`${file}: item ${n}: "sku" must be 1-40 of a-z, 0-9, -`);
    if (typeof i.name !== 'string' || i.name.length === 0 || i.name.length > 200)
      throw new Error(`${file}: item ${n} (${i.sku}): "name" must be a string of 1-200 characters`);
    if (!Number.isInteger(i.price) || i.price < 0)
      throw new Error(`${file}: item ${n} (${i.sku}): "price" must be a whole number of cents`);
    return { sku: i.sku, name: i.name, price: i.price };
  });
}

let cache; // {at, items, error}

/** The item list: `{items, source}` or `{error}`; the file is read again once REREAD_MS has passed. */
function catalog(now = Date.now()) {
  const file = env('CATALOG_FILE');
  if (!file) return { items: BUILT_IN, source: 'built-in' };
  if (!cache || now - cache.at >= REREAD_MS) {
    cache = { at: now };
    try {
      cache.items = validItems(JSON.parse(readText(file)), file);
    } catch (err) {
      cache.error = err instanceof SyntaxError ? `${file}: not JSON: ${err.message}` : String(err.message ?? err);
      console.log(`catalog: ${cache.error}`);
    }
  }
  return cache.error ? { error: cache.error } : { items: cache.items, source: file };
}

let served = 0;

export const incomingHandler = {
  handle(request, responseOut) {
    const { method, url } = requestLine(request);
    if (method !== 'get' && method !== 'head') return respond(responseOut, 405, 'text/plain', 'method not allowed\n');
    const me = whoami();
    if (url.pathname === '/healthz') return respond(responseOut, 200, 'text/plain', 'ok\n');
    if (url.pathname === '/ready')
      return readyNow()
        ? respond(responseOut, 200, 'text/plain', 'ready\n')
        : respond(responseOut, 503, 'text/plain', 'not ready\n');
    const currency = env('CURRENCY', 'EUR');
    if (url.pathname === '/items') {
      served++;
      if (served === 1 || served % 1000 === 0)
        console.log(`catalog: ${me.pod} on ${me.node} has served ${served} request(s)`);
      const c = catalog();
      if (c.error) return json(responseOut, 503, { ...me, error: c.error });
      return json(responseOut, 200, { ...me, servedAt: Date.now(), currency, source: c.source, items: c.items });
    }
    const m = /^\/items\/([^/]+)$/.exec(url.pathname);
    if (m) {
      const c = catalog();
      if (c.error) return json(responseOut, 503, { ...me, error: c.error });
      const item = c.items.find((i) => i.sku === decodeURIComponent(m[1]));
      return item
        ? json(responseOut, 200, { ...me, servedAt: Date.now(), currency, item })
        : json(responseOut, 404, { ...me, error: `no item ${m[1]}` });
    }
    json(responseOut, 404, { ...me, error: `no route ${url.pathname}` });
  },
};
