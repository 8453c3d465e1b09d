/**
 * The node-side cost of HTTPRoute routing per request: choosing the rule (`selectRule`), applying
 * its filters and picking a weighted backend, for a route of 10 rules (the request matching the
 * last, the worst case) against a route of one catch-all rule and against no routing at all (a plain
 * Service: nothing runs). In-process, no sockets: what routing adds to a request before balancing.
 *
 *   npx tsx bench/route-matching.ts [iterations]
 */
import type { CompiledRule } from '../src/api/index.js';
import { applyFilters, pickBackend, seededRandom, selectRule } from '../src/edge-node/mesh/routing/index.js';

const iterations = Number(process.argv[2] ?? 1_000_000);
const backends = [
  { namespace: 'default', name: 'v1', port: 80, weight: 90 },
  { namespace: 'default', name: 'v2', port: 80, weight: 10 },
];
const tenRules: CompiledRule[] = Array.from({ length: 10 }, (_, i) => ({
  route: `default/r#${i}`,
  hostnames: ['shop.example.com'],
  match:
    i < 9
      ? {
          path: { type: 'PathPrefix', value: `/api/v${i}` },
          headers: [{ name: 'x-tenant', value: `t${i}` }],
          method: 'GET',
        }
      : { path: { type: 'PathPrefix', value: '/' } },
  ...(i === 9
    ? {
        filters: [
          {
            type: 'RequestHeaderModifier' as const,
            requestHeaderModifier: { set: [{ name: 'x-routed', value: 'yes' }] },
          },
        ],
      }
    : {}),
  backends,
}));
const oneRule: CompiledRule[] = [
  { route: 'default/r#0', match: { path: { type: 'PathPrefix', value: '/' } }, backends },
];
const req = {
  method: 'GET',
  path: '/items?page=2',
  authority: 'shop.example.com:8088',
  headers: ['accept', '*/*', 'user-agent', 'bench', 'x-tenant', 'other'],
};
const random = seededRandom(1);

function run(label: string, rules: CompiledRule[] | undefined): void {
  let sink = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    if (!rules) {
      sink += req.path.length; // a plain Service: no routing step at all
      continue;
    }
    const rule = selectRule(rules, req)!;
    const out = applyFilters(rule, req, 'http');
    const b = pickBackend(rule.backends, random)!;
    sink += b.weight + (out.kind === 'forward' ? 1 : 0);
  }
  const ns = Number(process.hrtime.bigint() - t0) / iterations;
  console.log(
    `${label.padEnd(34)} ${ns.toFixed(0).padStart(6)} ns/request  (${iterations} requests, check ${sink % 7})`,
  );
}

for (let round = 0; round < 2; round++) {
  // The first round warms the JIT; the second is the figure.
  if (round === 1) console.log('route matching per request (second round):');
  run('plain Service (no routes)', undefined);
  run('1 rule (catch-all, 90/10)', oneRule);
  run('10 rules (last matches, 90/10)', tenRules);
}
