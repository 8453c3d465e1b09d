/**
 * The layering of `src/`, checked by `npm run lint:deps` (dependency-cruiser) as part of `npm test`.
 *
 * An *area* is a folder directly under `src/` (api, cli, durable, edge-node, hub, runtime-oci,
 * runtime-wasm, and any area added later): the rules below are written over `src/<area>/`, so a new
 * area is covered without editing this file. Tests beside the code belong to their area, so they may
 * import its internals like any other file of it; `test/` and `bench/` (cross-process tests and
 * benchmarks) are outside the rules.
 *
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'area-through-index',
      comment:
        "An area imports another area only through its index.ts (its explicit public surface), never its internals; src/api/lite.ts is api's zod-free subset of that surface, for edgectl's start-up, and src/pki/lite.ts pki's x509-free subset, for the agent's idle memory.",
      severity: 'error',
      from: { path: '^src/([^/]+)/', pathNot: ['\\.test\\.ts$', '^src/[^/]+/testing/'] },
      to: {
        path: '^src/[^/]+/',
        pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$', '^src/api/lite\\.ts$', '^src/pki/lite\\.ts$'],
      },
    },
    {
      name: 'tests-through-testing-index',
      comment:
        "A test (or an area's testing/ helpers) may also use another area's test surface, testing/index.ts — real parts built for tests, such as the hub's API app over a temporary store — never other internals.",
      severity: 'error',
      from: { path: ['^src/([^/]+)/.*\\.test\\.ts$', '^src/([^/]+)/testing/'] },
      to: {
        path: '^src/[^/]+/',
        pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$', '^src/[^/]+/testing/index\\.ts$'],
      },
    },
    {
      name: 'api-imports-no-area',
      comment:
        'src/api holds shapes, contracts and pure helpers shared by all three programs: it imports no other area.',
      severity: 'error',
      from: { path: '^src/api/' },
      to: { path: '^src/', pathNot: '^src/api/' },
    },
    {
      name: 'runtimes-know-no-hub',
      comment: 'The runtimes run on the node: they know nothing of the hub.',
      severity: 'error',
      from: { path: '^src/runtime-[^/]+/' },
      to: { path: '^src/hub/' },
    },
    {
      name: 'runtimes-independent',
      comment: 'runtime-wasm and runtime-oci do not import each other (shared code lives in an area both import).',
      severity: 'error',
      from: { path: '^src/(runtime-[^/]+)/' },
      to: { path: '^src/runtime-[^/]+/', pathNot: '^src/$1/' },
    },
    {
      name: 'hub-knows-no-runtime',
      comment: "The hub knows nothing of runtimes beyond a pod's runtimeClassName.",
      severity: 'error',
      from: { path: '^src/hub/' },
      to: { path: '^src/runtime-[^/]+/' },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles (type-only imports included: a cycle of types is still a knot in the design).',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves (a typo or a moved file shows here before it shows at run time).',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    includeOnly: '^src/',
    exclude: { path: ['/testdata/', '/dist/'] },
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: they are dependencies of the design even if erased at run time.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.check.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.d.ts'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
