// cart: quotes a basket. In-mesh only (a ClusterIP Service): the frontend reaches it as http://cart.
// Stateless: the basket comes in the query, the prices from the catalog (a second mesh hop, by
// service name: CATALOG_URL, default http://catalog).
//   GET /quote?items=tea:2,mug:1   {pod, node, servedAt, currency, lines: [{sku, name, qty, price, amount}],
//                                   total, catalog: {pod, node, servedAt}}; 400 on a bad basket or unknown item,
//                                   502 when the catalog cannot be reached
//   GET /healthz        liveness; GET /ready: readiness (503 inside UNREADY_FROM..UNREADY_UNTIL, epoch ms)
import { env, getJson, json, readyNow, requestLine, respond, whoami } from '../lib/http.js';

/** `tea:2,mug:1` → [{sku, qty}], or a message saying what is wrong. */
function parseBasket(text) {
  const lines = [];
  for (const part of text.split(',').filter((p) => p !== '')) {
    const [sku, qtyText = '1'] = part.split(':');
    const qty = Number(qtyText);
    if (!sku || !Number.isInteger(qty) || qty < 1 || qty > 99)
      return `bad basket entry "${part}" (want sku[:qty], qty 1-99)`;
    lines.push({ sku, qty });
  }
  return lines.length > 0 ? lines : 'empty basket (want ?items=sku[:qty],...)';
}

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
    if (url.pathname !== '/quote') return json(responseOut, 404, { ...me, error: `no route ${url.pathname}` });

    const basket = parseBasket(url.searchParams.get('items') ?? '');
    if (typeof basket === 'string') return json(responseOut, 400, { ...me, error: basket });
    const catalogUrl = `${env('CATALOG_URL', 'http://catalog')}/items`;
    const prices = getJson(catalogUrl);
    if (prices.error) return json(responseOut, 502, { ...me, error: `${catalogUrl}: ${prices.error}` });
    const { items, currency } = prices.doc;
    const lines = [];
    for (const { sku, qty } of basket) {
      const item = items.find((i) => i.sku === sku);
      if (!item) return json(responseOut, 400, { ...me, error: `no item ${sku} in the catalog` });
      lines.push({ sku, name: item.name, qty, price: item.price, amount: item.price * qty });
    }
    const total = lines.reduce((sum, l) => sum + l.amount, 0);
    json(responseOut, 200, {
      ...me,
      servedAt: Date.now(),
      currency,
      lines,
      total,
      catalog: { pod: prices.doc.pod, node: prices.doc.node, servedAt: prices.doc.servedAt },
    });
  },
};
