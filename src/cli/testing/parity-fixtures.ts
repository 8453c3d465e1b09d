/**
 * What the kubectl-parity test files of edgectl (`commands/parity-*.test.ts`) share beyond the hub of
 * parity-harness.ts: that hub started once a file (`useParityHub`), the three ConfigMaps several of
 * them read, the `same` comparison of edgectl with kubectl, a Deployment manifest and a bounded poll.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { typeByName, type KubeObject, type ResourceType } from '../../api/index.js';
import type { TestHub } from '../../hub/testing/index.js';
import { startParityHub, type ParityHub, type Ran } from './parity-harness.js';

/** The resource type of a name or short name kubectl knows (`cm`, `deploy`, …). */
export const T = (n: string): ResourceType => typeByName(n) as ResourceType;

/** A ConfigMap in `default` with one key, `color`. */
export const cm = (name: string, color: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default' },
  data: { color },
});

/** Creates cm-2 (red), cm-10 (blue) and cm-1 (red): names whose byte order is not their number order. */
export async function seedConfigMaps(p: ParityHub): Promise<void> {
  for (const [name, color] of [
    ['cm-2', 'red'],
    ['cm-10', 'blue'],
    ['cm-1', 'red'],
  ] as const)
    await p.hub.api.create(T('cm'), cm(name, color));
}

/** A one-replica Deployment `name` as a YAML manifest. */
export const deploymentYaml = (name: string): string => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: app, image: "registry.example/app:1"}]}
`;

/** The parity hub of one test file, usable from its tests on (it starts in `beforeAll`). */
export interface ParityFixture {
  readonly hub: TestHub;
  /** The scratch directory: HOME and cwd of both CLIs. */
  readonly dir: string;
  /** edgectl in-process, as the hub's admin. */
  edgectl(args: string[]): Promise<Ran>;
  /** The real kubectl, as the hub's admin. */
  kubectl(args: string[]): Promise<Ran>;
  /** Runs the same arguments through both, expects the same exit code and stdout, and returns that stdout. */
  same(args: string[]): Promise<string>;
}

/**
 * Registers the file's `beforeAll` (start the parity hub, then `setup` on it) and `afterAll` (close it);
 * call at the top level of a test file.
 */
export function useParityHub(setup?: (p: ParityHub) => Promise<void>): ParityFixture {
  let started: ParityHub | undefined;
  beforeAll(async () => {
    started = await startParityHub();
    await setup?.(started);
  });
  afterAll(() => started?.close());
  const p = (): ParityHub => {
    if (!started) throw new Error('the parity hub starts in beforeAll');
    return started;
  };
  return {
    get hub() {
      return p().hub;
    },
    get dir() {
      return p().dir;
    },
    edgectl: (args) => p().edgectl(args),
    kubectl: (args) => p().kubectl(args),
    async same(args) {
      const [mine, theirs] = [await p().edgectl(args), await p().kubectl(args)];
      expect({ code: mine.code, out: mine.out }, `edgectl ${args.join(' ')}: ${mine.err}`).toEqual({
        code: theirs.code,
        out: theirs.out,
      });
      return mine.out;
    },
  };
}

/** Polls `cond` until it holds (bounded), without fixed sleeps in the test body. */
export async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}
