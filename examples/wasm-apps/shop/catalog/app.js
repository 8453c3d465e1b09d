// catalog: the shop's product list with prices. In-mesh only (a ClusterIP Service): the frontend and
// the cart reach it as http://catalog. Stateless: the list is fixed in the code.
//   GET /items          {pod, node, servedAt, currency, items: [{sku, name, price}]}  (price in cents)
//   GET /items/<sku>    one item, or 404
//   GET /healthz        liveness; GET /ready: readiness (503 inside UNREADY_FROM..UNREADY_UNTIL, epoch ms)
import { json, readyNow, requestLine, respond, whoami } from '../lib/http.js';

const ITEMS = [
  { sku: 'tea', name: 'Green tea, 100 g', price: 650 },
  { sku: 'mug', name: 'Stoneware mug', price: 1200 },
  { sku: 'honey', name: 'Heather honey, 250 g', price: 890 },
  { sku: 'biscuits', name: 'Oat biscuits', price: 320 },
];

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
    if (url.pathname === '/items') {
      served++;
      if (served === 1 || served % 1000 === 0)
        console.log(`catalog: ${me.pod} on ${me.node} has served ${served} request(s)`);
      return json(responseOut, 200, { ...me, servedAt: Date.now(), currency: 'EUR', items: ITEMS });
    }
    const m = /^\/items\/([^/]+)$/.exec(url.pathname);
    if (m) {
      const item = ITEMS.find((i) => i.sku === decodeURIComponent(m[1]));
      return item
        ? json(responseOut, 200, { ...me, servedAt: Date.now(), currency: 'EUR', item })
        : json(responseOut, 404, { ...me, error: `no item ${m[1]}` });
    }
    json(responseOut, 404, { ...me, error: `no route ${url.pathname}` });
  },
};
