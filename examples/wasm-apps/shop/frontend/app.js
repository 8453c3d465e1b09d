// frontend: the shop's web front, the only part exposed outside the cluster (a NodePort Service).
// Stateless: each request asks the catalog and the cart, by service name through the node's mesh
// (CATALOG_URL, default http://catalog; CART_URL, default http://cart), and names which pod and node
// answered each part. Its settings come from outside the code, the Kubernetes way (shop.yaml): the
// shop's title and greeting from a ConfigMap (envFrom: SHOP_TITLE, SHOP_GREETING), the API key of its
// admin route from a Secret (SHOP_API_KEY, a secretKeyRef).
//   GET /                         an HTML page: the catalog, a quote of the basket, who served what
//   GET /api/shop[?items=tea:2]   the same as JSON: {pod, node, servedAt, catalog: {pod, node,
//                                 servedAt, currency, items}, cart: {pod, node, servedAt, lines,
//                                 total, catalog: {pod, node, servedAt}}}; 502 with {error} when a
//                                 part could not be had
//   GET /api/items                the catalog's answer alone (one mesh hop): {pod, node, catalog: {...}}
//   GET /debug/call?url=URL       only with DEBUG_ROUTES=1: makes one outgoing GET to URL and reports
//                                 what the node did with it: {url, status, body} with the upstream's
//                                 status when delivered, 502 {url, error} with the wasi:http error
//                                 code when not (a host that is not a Service gets HTTP-request-denied)
//   GET /admin                    the settings in effect ({pod, node, title, greeting, catalog}), only
//                                 with `Authorization: Bearer <SHOP_API_KEY>`: 401 without it or with
//                                 another key, 503 when no key is configured (the Secret is optional:
//                                 without it the route stays shut)
//   GET /healthz, /ready          liveness and readiness
import { env, get, getJson, json, readyNow, requestLine, respond, whoami } from '../lib/http.js';

const DEFAULT_BASKET = 'tea:2,honey:1';
const title = () => env('SHOP_TITLE', 'Edgeplane shop');
const greeting = () => env('SHOP_GREETING', '');

const encoder = new TextEncoder();

/** Compares two strings in time that depends on their lengths only, not on where they differ. */
function sameKey(a, b) {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** The bearer token of the request's Authorization header, or undefined. */
function bearer(request) {
  const headers = request.headers();
  const values = headers.get('authorization');
  headers[Symbol.dispose]();
  if (values.length !== 1) return undefined;
  const m = /^Bearer ([^\s]+)$/.exec(new TextDecoder().decode(values[0]));
  return m ? m[1] : undefined;
}

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const money = (cents, currency) => `${(cents / 100).toFixed(2)} ${currency}`;
const servedBy = (part) => `<small>served by ${escapeHtml(part.pod)} on ${escapeHtml(part.node)}</small>`;

/** Asks the catalog and the cart; `{doc}` for the page, or `{error}` naming the part that failed. */
function shop(basket) {
  const catalogUrl = `${env('CATALOG_URL', 'http://catalog')}/items`;
  const cartUrl = `${env('CART_URL', 'http://cart')}/quote?items=${encodeURIComponent(basket)}`;
  const catalog = getJson(catalogUrl);
  if (catalog.error)
    return { error: `catalog (${catalogUrl}): ${catalog.error}${catalog.doc?.error ? `: ${catalog.doc.error}` : ''}` };
  const cart = getJson(cartUrl);
  if (cart.error) return { error: `cart (${cartUrl}): ${cart.error}${cart.doc?.error ? `: ${cart.doc.error}` : ''}` };
  const c = catalog.doc;
  const q = cart.doc;
  return {
    doc: {
      ...whoami(),
      servedAt: Date.now(),
      title: title(),
      greeting: greeting(),
      catalog: { pod: c.pod, node: c.node, servedAt: c.servedAt, currency: c.currency, items: c.items },
      cart: {
        pod: q.pod,
        node: q.node,
        servedAt: q.servedAt,
        currency: q.currency,
        lines: q.lines,
        total: q.total,
        catalog: q.catalog,
      },
    },
  };
}

function page(doc) {
  const { catalog, cart } = doc;
  const items = catalog.items
    .map(
      (i) =>
        `<tr><td>${escapeHtml(i.name)}</td><td>${escapeHtml(i.sku)}</td><td>${money(i.price, catalog.currency)}</td></tr>`,
    )
    .join('');
  const lines = cart.lines
    .map((l) => `<tr><td>${l.qty} × ${escapeHtml(l.name)}</td><td>${money(l.amount, cart.currency)}</td></tr>`)
    .join('');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(doc.title)}</title></head><body>
<h1>${escapeHtml(doc.title)}</h1>
${doc.greeting ? `<p>${escapeHtml(doc.greeting)}</p>` : ''}
<h2>Catalog</h2><table>${items}</table>${servedBy(catalog)}
<h2>Your basket</h2><table>${lines}<tr><th>Total</th><th>${money(cart.total, cart.currency)}</th></tr></table>
${servedBy(cart)}, <small>prices from ${escapeHtml(cart.catalog.pod)} on ${escapeHtml(cart.catalog.node)}</small>
<p>${servedBy(doc)} (frontend)</p>
</body></html>
`;
}

export const incomingHandler = {
  handle(request, responseOut) {
    const { method, url } = requestLine(request);
    if (method !== 'get' && method !== 'head') return respond(responseOut, 405, 'text/plain', 'method not allowed\n');
    const me = whoami();
    switch (url.pathname) {
      case '/healthz':
        return respond(responseOut, 200, 'text/plain', 'ok\n');
      case '/ready':
        return readyNow()
          ? respond(responseOut, 200, 'text/plain', 'ready\n')
          : respond(responseOut, 503, 'text/plain', 'not ready\n');
      case '/': {
        const r = shop(url.searchParams.get('items') ?? DEFAULT_BASKET);
        if (r.error)
          return respond(
            responseOut,
            502,
            'text/html; charset=utf-8',
            `<!doctype html><p>The shop is not available: ${escapeHtml(r.error)}</p>\n`,
          );
        return respond(responseOut, 200, 'text/html; charset=utf-8', page(r.doc));
      }
      case '/api/shop': {
        const r = shop(url.searchParams.get('items') ?? DEFAULT_BASKET);
        return r.error ? json(responseOut, 502, { ...me, error: r.error }) : json(responseOut, 200, r.doc);
      }
      case '/api/items': {
        const catalogUrl = `${env('CATALOG_URL', 'http://catalog')}/items`;
        const r = getJson(catalogUrl);
        return r.error
          ? json(responseOut, 502, { ...me, error: `${catalogUrl}: ${r.error}` })
          : json(responseOut, 200, { ...me, catalog: r.doc });
      }
      case '/admin': {
        const key = env('SHOP_API_KEY', '');
        if (key === '') return json(responseOut, 503, { ...me, error: 'no API key is configured (Secret shop-api)' });
        const given = bearer(request);
        if (given === undefined || !sameKey(given, key))
          return json(responseOut, 401, { ...me, error: 'want Authorization: Bearer <the API key>' });
        return json(responseOut, 200, {
          ...me,
          title: title(),
          greeting: greeting(),
          catalog: env('CATALOG_URL', 'http://catalog'),
          cart: env('CART_URL', 'http://cart'),
        });
      }
      case '/debug/call': {
        if (env('DEBUG_ROUTES') !== '1') break;
        const target = url.searchParams.get('url') ?? '';
        if (!/^https?:\/\/[^/]/.test(target))
          return json(responseOut, 400, { ...me, error: 'want ?url=http://host[:port]/path' });
        const r = get(target);
        return r.error
          ? json(responseOut, 502, { ...me, url: target, error: r.error })
          : json(responseOut, r.status, { ...me, url: target, status: r.status, body: r.text.slice(0, 4096) });
      }
    }
    json(responseOut, 404, { ...me, error: `no route ${url.pathname}` });
  },
};
