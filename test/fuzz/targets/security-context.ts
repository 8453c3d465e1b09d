/**
 * Fuzz target `security-context`: pods with random `securityContext`s (pod and container level,
 * valid values, edge values and junk) created through the real hub API in namespaces that enforce
 * each Pod Security level, then turned into what the node would run (runc's `config.json`, the
 * Engine API's HostConfig) as the node would.
 *
 * Properties: the API answers 201, 403 (only where the level is not `privileged`, worded as
 * Kubernetes words it and naming the pod) or 422/400 naming a `spec.` field, never anything else; an
 * admitted pod meets its namespace's level (and restricted implies baseline); for an admitted pod
 * the node either builds a config or refuses with a CreateContainerConfigError, and the config
 * keeps its promises: a seccomp filter unless privileged or Unconfined, no-new-privileges unless
 * escalation is allowed, never a capability the node lacks, a read-only root when asked.
 */
import fc from 'fast-check';
import { CreateContainerError, effectiveSecurity, typeByKind, type Pod } from '../../../src/api/index.js';
import { podSecurityViolations, type PodSecurityLevel } from '../../../src/hub/registry/pod-security.js';
import { securityHostConfig } from '../../../src/runtime-oci/engine/engine-security.js';
import { boundingCapabilities, containerUser, runcConfig } from '../../../src/runtime-oci/runc/bundle-config.js';
import { expectSuccessOrStatus, startApi, type ApiUnderTest } from '../api-under-test.js';
import type { FuzzTarget } from '../target.js';

interface Ctx {
  hub: ApiUnderTest;
  cases: number;
}

interface Input {
  level: PodSecurityLevel;
  pod: Record<string, unknown>;
}

/** A node without CAP_SYS_RESOURCE, as the CI sandbox is. */
const NODE_CAPS = boundingCapabilities('CapBnd:\t000001fffeffffff\n') ?? [];

const optional = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined, freq: 2 });
const id = fc.oneof(
  fc.constantFrom(0, 1, 1000, 65534, 2147483647, 2147483648, -1),
  fc.integer({ min: 0, max: 70000 }),
  fc.double(),
  fc.constant('1000'),
);
const bool = fc.oneof(fc.boolean(), fc.constant('true'), fc.constant(null));
const cap = fc.constantFrom(
  'ALL',
  'NET_ADMIN',
  'CAP_NET_ADMIN',
  'SYS_ADMIN',
  'CAP_SYS_ADMIN',
  'NET_BIND_SERVICE',
  'CHOWN',
  'NET_RAW',
  'SYS_TIME',
  'SYS_RESOURCE',
  'chown',
  'BOGUS',
  '',
);
const seccomp = fc.record(
  {
    type: fc.constantFrom('RuntimeDefault', 'Unconfined', 'Localhost', 'runtime/default', 'Bogus'),
    localhostProfile: optional(fc.constantFrom('p.json', '../../etc/passwd')),
  },
  { requiredKeys: ['type'] },
);
const junk = fc.dictionary(
  fc.constantFrom('seLinuxOptions', 'procMount', 'windowsOptions', 'sysctls', '__proto__', 'constructor'),
  fc.constant({}),
  { maxKeys: 1 },
);

const podSecurity = fc
  .tuple(
    fc.record(
      {
        runAsUser: id,
        runAsGroup: id,
        runAsNonRoot: bool,
        fsGroup: id,
        supplementalGroups: fc.array(id, { maxLength: 3 }),
        seccompProfile: seccomp,
      },
      { requiredKeys: [] },
    ),
    fc.oneof({ weight: 9, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: junk }),
  )
  .map(([a, b]) => ({ ...a, ...b }));

const containerSecurity = fc
  .tuple(
    fc.record(
      {
        runAsUser: id,
        runAsGroup: id,
        runAsNonRoot: bool,
        readOnlyRootFilesystem: bool,
        allowPrivilegeEscalation: bool,
        privileged: bool,
        capabilities: fc.record(
          { add: fc.array(cap, { maxLength: 3 }), drop: fc.array(cap, { maxLength: 3 }) },
          { requiredKeys: [] },
        ),
        seccompProfile: seccomp,
      },
      { requiredKeys: [] },
    ),
    fc.oneof({ weight: 9, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: junk }),
  )
  .map(([a, b]) => ({ ...a, ...b }));

const container = (i: number): fc.Arbitrary<Record<string, unknown>> =>
  optional(containerSecurity).map((securityContext) => ({
    name: `c${i}`,
    image: 'registry.local/busybox:1',
    ...(securityContext ? { securityContext } : {}),
  }));

export const target: FuzzTarget<Ctx, Input> = {
  name: 'security-context',

  async setup() {
    const hub = await startApi('fuzz-security-context-');
    for (const level of ['privileged', 'baseline', 'restricted']) {
      await hub.api.create(typeOf('Namespace'), {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: `ns-${level}`, labels: { 'pod-security.kubernetes.io/enforce': level } },
      });
    }
    return { hub, cases: 0 };
  },

  arbitrary() {
    return fc.record({
      level: fc.constantFrom<PodSecurityLevel>('privileged', 'baseline', 'restricted'),
      pod: fc
        .record({
          hostNetwork: optional(fc.boolean()),
          runtimeClassName: optional(fc.constantFrom('oci', 'wasm')),
          securityContext: optional(podSecurity),
          containers: fc
            .integer({ min: 1, max: 3 })
            .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => container(i)))),
        })
        .map((spec) => Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined))),
    });
  },

  async check(ctx, input) {
    const name = `p${ctx.cases++}`;
    const ns = `ns-${input.level}`;
    const res = await ctx.hub.request('POST', `/api/v1/namespaces/${ns}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: input.pod,
    });
    expectSuccessOrStatus(name, res);
    // 422 for bad values, 400 for a forbidden key (`__proto__`): both name the field.
    if (res.status === 422 || res.status === 400) {
      const causes = (res.json as { details?: { causes?: Array<{ field?: string }> } }).details?.causes ?? [];
      if (!causes.some((c) => c.field?.startsWith('spec.')))
        throw new Error(`${res.status} without a spec. field: ${JSON.stringify(res.json)}`);
      return;
    }
    if (res.status === 403) {
      const message = String((res.json as { message?: unknown }).message);
      if (input.level === 'privileged') throw new Error(`a privileged namespace refused a pod: ${message}`);
      if (!message.startsWith(`pods "${name}" is forbidden: violates PodSecurity "${input.level}:latest": `))
        throw new Error(`403 not worded as Kubernetes: ${message}`);
      return;
    }
    if (res.status !== 201) throw new Error(`unexpected ${res.status}: ${JSON.stringify(res.json)}`);
    const pod = res.json as Pod;
    if (input.level !== 'privileged' && podSecurityViolations(input.level, pod.spec).length > 0)
      throw new Error(`${name} admitted into ${ns} with violations`);
    if (
      podSecurityViolations('restricted', pod.spec).length === 0 &&
      podSecurityViolations('baseline', pod.spec).length > 0
    )
      throw new Error(`${name} meets restricted but not baseline`);
    for (const c of pod.spec.containers) nodeSide(effectiveSecurity(pod.spec.securityContext, c.securityContext));
  },

  async teardown(ctx) {
    await ctx.hub.close();
  },
};

/** What a node makes of one admitted container; throws when a promise of the config is broken. */
function nodeSide(sec: ReturnType<typeof effectiveSecurity>): void {
  let user;
  try {
    user = containerUser({ uid: 0, gid: 0 }, sec, 'c');
  } catch (err) {
    if (
      err instanceof CreateContainerError &&
      err.waitingReason === 'CreateContainerConfigError' &&
      sec.runAsNonRoot === true
    )
      return;
    throw err;
  }
  const cfg = runcConfig({
    process: { args: ['x'], env: [], cwd: '/' },
    user,
    security: sec,
    arch: 'x64',
    nodeCapabilities: NODE_CAPS,
    hostname: 'h',
    rootfs: '/r',
    cgroupsPath: '/e/c',
    limits: {},
    etcFiles: { hosts: '/h', hostname: '/n' },
  }) as {
    process: { noNewPrivileges: boolean; capabilities: { bounding: string[] } };
    root: { readonly: boolean };
    linux: { seccomp?: unknown };
  };
  const privileged = sec.privileged === true;
  if ((cfg.linux.seccomp !== undefined) !== (!privileged && sec.seccompProfile !== 'Unconfined'))
    throw new Error(`seccomp ${cfg.linux.seccomp ? 'on' : 'off'} for ${JSON.stringify(sec)}`);
  if (cfg.process.noNewPrivileges !== !(privileged || sec.allowPrivilegeEscalation === true))
    throw new Error(`noNewPrivileges ${cfg.process.noNewPrivileges} for ${JSON.stringify(sec)}`);
  if (cfg.root.readonly !== (sec.readOnlyRootFilesystem === true))
    throw new Error(`root.readonly ${cfg.root.readonly} for ${JSON.stringify(sec)}`);
  const held = cfg.process.capabilities.bounding.map((c) => c.replace(/^CAP_/, ''));
  if (
    held.some((c) => !NODE_CAPS.includes(c) && !(sec.capabilities?.add ?? []).some((a) => a.replace(/^CAP_/, '') === c))
  )
    throw new Error(`a capability the node lacks, unasked: ${held.join(',')}`);
  const host = securityHostConfig(sec);
  for (const c of [
    ...((host.CapAdd as string[] | undefined) ?? []),
    ...((host.CapDrop as string[] | undefined) ?? []),
  ]) {
    if (c !== 'ALL' && !/^CAP_[A-Z_]+$/.test(c)) throw new Error(`HostConfig capability ${c}`);
  }
}

function typeOf(kind: string): Parameters<ObjectRegistryCreate>[0] {
  const t = typeByKind('v1', kind);
  if (!t) throw new Error(kind);
  return t;
}
type ObjectRegistryCreate = ApiUnderTest['api']['create'];
