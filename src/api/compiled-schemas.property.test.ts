/**
 * A compiled schema (compiled-schemas.ts) answers exactly as zod's runtime parser does: for every
 * example manifest, a pod and node as a fleet writes them, and the frames a node sends — each as it
 * is and mutated at random paths (a value replaced by any JSON value, a key removed, an unknown key
 * added) — both accept or both refuse, with the same output or the same issues.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { compiledSchema } from './compiled-schemas.js';
import { typeByKind } from './registry.js';
import { NodeToHub } from './wire.js';

const EXAMPLES = join(dirname(fileURLToPath(import.meta.url)), '../../examples');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (f === 'node_modules' || f === 'dist') return [];
    return statSync(p).isDirectory() ? yamlFiles(p) : f.endsWith('.yaml') ? [p] : [];
  });
}

const manifests = yamlFiles(EXAMPLES).flatMap((f) =>
  parseAllDocuments(readFileSync(f, 'utf8')).map((d) => d.toJSON() as { apiVersion: string; kind: string }),
);

const FLEET_POD = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    generateName: 'fleet-zhl68lspl6-',
    namespace: 'default',
    labels: { app: 'fleet', 'pod-template-hash': 'zhl68lspl6' },
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'fleet-zhl68lspl6', uid: 'bd11', controller: true },
    ],
    name: 'fleet-zhl68lspl6-2bz9t',
    uid: '3a81',
    creationTimestamp: '2026-12-07T00:29:52Z',
    generation: 2,
    resourceVersion: '505622',
    managedFields: [
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'v1',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } },
      },
    ],
  },
  spec: {
    containers: [{ name: 'app', image: 'hollow.invalid/fleet/app.wasm', ports: [{ containerPort: 8080 }] }],
    runtimeClassName: 'wasm',
    nodeName: 'hollow-00121',
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
  },
  status: {
    phase: 'Running',
    conditions: [
      { type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-12-07T00:29:56.241Z', lastProbeTime: null },
      { type: 'Ready', status: 'False', reason: 'NodeNotReady', lastTransitionTime: '2026-12-07T00:30:33Z' },
    ],
    containerStatuses: [
      {
        name: 'app',
        image: 'hollow.invalid/fleet/app.wasm',
        ready: false,
        restartCount: 0,
        state: { running: { startedAt: '2026-12-07T00:29:56.241Z' } },
      },
    ],
    hostIP: '10.0.0.121',
    podIP: '10.0.0.121',
    observedGeneration: 2,
  },
};

const NODE = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'pi-1', labels: { 'kubernetes.io/arch': 'arm64' } },
  spec: { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2026-12-07T00:30:33Z' }] },
  status: {
    capacity: { cpu: '4', memory: '4Gi', pods: '110' },
    conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: '2026-12-07T00:30:37Z' }],
    nodeInfo: {
      architecture: 'arm64',
      operatingSystem: 'linux',
      kubeletVersion: 'v1',
      containerRuntimeVersion: 'wasm',
    },
  },
};

const FRAMES = [
  { type: 'heartbeat', time: '2026-12-07T00:30:37Z' },
  {
    type: 'podStatus',
    pods: [{ pod: { namespace: 'default', name: 'p', uid: 'u' }, status: FLEET_POD.status }],
  },
];

/** Every path into `v` (the root too). */
function pathsOf(v: unknown, at: PropertyKey[] = []): PropertyKey[][] {
  const out: PropertyKey[][] = [at];
  if (v !== null && typeof v === 'object')
    for (const [k, child] of Object.entries(v)) out.push(...pathsOf(child, [...at, Array.isArray(v) ? Number(k) : k]));
  return out;
}

type Mutation = { at: number; how: 'replace' | 'remove' | 'add'; value: unknown; key: string };

/** `seed` with `m` applied (a deep copy: the seed stays as it is). */
function mutate(seed: unknown, ms: Mutation[]): unknown {
  const copy = structuredClone(seed);
  for (const m of ms) {
    const paths = pathsOf(copy);
    const path = paths[m.at % paths.length]!;
    if (path.length === 0) continue;
    let parent = copy as Record<PropertyKey, unknown>;
    for (const p of path.slice(0, -1)) parent = parent[p] as Record<PropertyKey, unknown>;
    const last = path.at(-1)!;
    if (m.how === 'replace') parent[last] = m.value;
    else if (m.how === 'remove') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else if (parent[last] !== null && typeof parent[last] === 'object' && !Array.isArray(parent[last]))
      (parent[last] as Record<string, unknown>)[m.key] = m.value;
  }
  return copy;
}

/** Runtime and compiled parse of `input` agree. */
function agree(schema: z.ZodType, input: unknown): void {
  const runtime = schema.safeParse(input);
  const compiled = compiledSchema(schema).safeParse(input);
  expect(compiled.success).toBe(runtime.success);
  if (runtime.success) expect(compiled.data).toEqual(runtime.data);
  else expect(compiled.error?.issues).toEqual(runtime.error.issues);
}

const mutation = fc.record({
  at: fc.nat(),
  how: fc.constantFrom('replace' as const, 'remove' as const, 'add' as const),
  value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string({ maxLength: 300 }), fc.integer()),
  key: fc.oneof(fc.constantFrom('name', 'labels', 'spec', 'status', 'x'), fc.string({ maxLength: 8 })),
});

const seeds: Array<{ schema: z.ZodType; value: unknown; label: string }> = [
  ...manifests.map((m) => ({ schema: typeByKind(m.apiVersion, m.kind)!.schema, value: m, label: m.kind })),
  { schema: typeByKind('v1', 'Pod')!.schema, value: FLEET_POD, label: 'fleet pod' },
  { schema: typeByKind('v1', 'Node')!.schema, value: NODE, label: 'node' },
  ...FRAMES.map((f) => ({ schema: NodeToHub, value: f, label: `${f.type} frame` })),
];

describe('compiled schemas', () => {
  it('have seeds: every example manifest, a fleet pod, a node and node frames, all valid', () => {
    expect(manifests.length).toBeGreaterThan(10);
    for (const s of seeds) expect(s.schema.safeParse(s.value).success, s.label).toBe(true);
  });

  it('accept and refuse what the runtime parser does, with the same output and the same issues', () => {
    for (const s of seeds) agree(s.schema, s.value);
    fc.assert(
      fc.property(fc.nat({ max: seeds.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 3 }), (i, ms) => {
        const s = seeds[i]!;
        agree(s.schema, mutate(s.value, ms));
      }),
      { numRuns: 3000 },
    );
  });
});
