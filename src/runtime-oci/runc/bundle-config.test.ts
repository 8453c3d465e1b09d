import { describe, expect, it } from 'vitest';
import { CreateContainerError, LINUX_CAPABILITIES } from '../../api/index.js';
import {
  DEFAULT_CAPABILITIES,
  DEFAULT_PIDS_LIMIT,
  type RuncConfigInput,
  boundingCapabilities,
  containerCapabilities,
  containerUser,
  processSpec,
  runcConfig,
} from './bundle-config.js';
import { type SeccompConfig, defaultSeccompProfile } from './seccomp-default.js';

const image = { Entrypoint: ['/entry'], Cmd: ['--serve'], Env: ['PATH=/opt/bin', 'A=image'], WorkingDir: '/srv' };
const base = { command: [] as string[], args: [] as string[], env: {}, hostname: 'pod-1' };

describe('processSpec', () => {
  it("combines the image's entrypoint/cmd with the pod's command/args as Kubernetes does", () => {
    expect(processSpec(image, base, 'c').args).toEqual(['/entry', '--serve']);
    expect(processSpec(image, { ...base, args: ['--other'] }, 'c').args).toEqual(['/entry', '--other']);
    expect(processSpec(image, { ...base, command: ['/bin/sh'] }, 'c').args).toEqual(['/bin/sh']);
    expect(processSpec(image, { ...base, command: ['/bin/sh'], args: ['-c', 'x'] }, 'c').args).toEqual([
      '/bin/sh',
      '-c',
      'x',
    ]);
    expect(() => processSpec({}, base, 'container x')).toThrow(/container x: no command specified/);
  });

  it("takes the image's env and working dir, the pod's win", () => {
    const p = processSpec(image, { ...base, env: { A: 'pod', B: 'b' } }, 'c');
    expect(p.env).toEqual(['PATH=/opt/bin', 'A=pod', 'HOSTNAME=pod-1', 'B=b']);
    expect(p.cwd).toBe('/srv');
    expect(processSpec(image, { ...base, workingDir: '/data' }, 'c').cwd).toBe('/data');
    expect(processSpec({ Cmd: ['x'] }, base, 'c').cwd).toBe('/');
    expect(() => processSpec(image, { ...base, workingDir: 'rel' }, 'c')).toThrow(/not an absolute path/);
  });
});

describe('runcConfig', () => {
  const input = {
    process: { args: ['x'], env: [], cwd: '/' },
    user: { uid: 1, gid: 2 },
    hostname: 'h',
    rootfs: '/b/rootfs',
    cgroupsPath: '/edgeplane/c',
    limits: {},
    etcFiles: { hosts: '/b/hosts', hostname: '/b/hostname' },
  };

  it('joins the pod network namespace, or shares the node one with its /sys bound read-only', () => {
    const own = runcConfig({ ...input, netnsPath: '/var/run/netns/n' }) as {
      linux: { namespaces: Array<{ type: string; path?: string }> };
      mounts: Array<{ destination: string; type: string }>;
    };
    expect(own.linux.namespaces).toContainEqual({ type: 'network', path: '/var/run/netns/n' });
    expect(own.mounts.find((m) => m.destination === '/sys')?.type).toBe('sysfs');
    const host = runcConfig(input) as typeof own;
    expect(host.linux.namespaces.some((n) => n.type === 'network')).toBe(false);
    expect(host.mounts.find((m) => m.destination === '/sys')?.type).toBe('bind');
  });

  it('turns limits into cgroup resources', () => {
    const c = runcConfig({ ...input, limits: { memoryBytes: 64 << 20, cpuMillis: 250 } }) as {
      linux: { resources: { memory: { limit: number }; cpu: { quota: number; period: number } } };
    };
    expect(c.linux.resources.memory.limit).toBe(64 << 20);
    expect(c.linux.resources.cpu).toEqual({ period: 100_000, quota: 25_000 });
  });
});

describe('securityContext in config.json', () => {
  const input = {
    process: { args: ['x'], env: [], cwd: '/' },
    user: { uid: 0, gid: 0 },
    hostname: 'h',
    rootfs: '/b/rootfs',
    cgroupsPath: '/edgeplane/c',
    limits: {},
    etcFiles: { hosts: '/b/hosts', hostname: '/b/hostname' },
    arch: 'x64',
  };
  interface Config {
    process: {
      user: { uid: number; gid: number; additionalGids?: number[] };
      noNewPrivileges: boolean;
      capabilities: { bounding: string[]; effective: string[]; permitted: string[] };
    };
    root: { readonly: boolean };
    mounts: Array<{ destination: string; type: string; options?: string[] }>;
    linux: {
      resources: { pids?: { limit: number }; devices: Array<{ allow: boolean }> };
      seccomp?: SeccompConfig;
      maskedPaths: string[];
      readonlyPaths: string[];
    };
  }
  const cfg = (over: Partial<RuncConfigInput> = {}): Config => runcConfig({ ...input, ...over }) as unknown as Config;
  const allowed = (s: SeccompConfig | undefined): Set<string> =>
    new Set((s?.syscalls ?? []).filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r) => r.names));

  it('without a securityContext: RuntimeDefault seccomp, no-new-privileges, Docker capabilities, a pids limit', () => {
    const c = cfg();
    expect(c.process.noNewPrivileges).toBe(true);
    expect(c.root.readonly).toBe(false);
    expect(c.process.capabilities.bounding).toEqual(DEFAULT_CAPABILITIES.map((x) => `CAP_${x}`));
    expect(c.process.capabilities.effective).toEqual(c.process.capabilities.bounding);
    expect(c.linux.resources.pids).toEqual({ limit: DEFAULT_PIDS_LIMIT });
    expect(c.linux.resources.devices).toEqual([{ allow: false, access: 'rwm' }]);
    expect(c.linux.seccomp).toMatchObject({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    });
    expect(cfg({ pidsLimit: 0 }).linux.resources.pids).toBeUndefined();
    expect(cfg({ pidsLimit: 64 }).linux.resources.pids).toEqual({ limit: 64 });
  });

  it('maps user, groups, read-only root, escalation and Unconfined', () => {
    const user = containerUser(
      { uid: 0, gid: 0 },
      { runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [2000, 4000] },
      'c',
    );
    expect(user).toEqual({ uid: 1000, gid: 3000, additionalGids: [2000, 4000] });
    expect(containerUser({ uid: 5, gid: 6 }, { runAsUser: 1000 }, 'c')).toEqual({ uid: 1000, gid: 6 });
    expect(containerUser({ uid: 5, gid: 6 }, { runAsGroup: 7 }, 'c')).toEqual({ uid: 5, gid: 7 });
    const c = cfg({
      user,
      security: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: true, seccompProfile: 'Unconfined' },
    });
    expect(c.process.user).toEqual({ uid: 1000, gid: 3000, additionalGids: [2000, 4000] });
    expect(c.root.readonly).toBe(true);
    expect(c.process.noNewPrivileges).toBe(false);
    expect(c.linux.seccomp).toBeUndefined();
    expect(cfg({ security: { allowPrivilegeEscalation: false } }).process.noNewPrivileges).toBe(true);
  });

  it('refuses runAsNonRoot with root as the kubelet does (CreateContainerConfigError)', () => {
    const err = ((): unknown => {
      try {
        containerUser({ uid: 0, gid: 0 }, { runAsNonRoot: true }, 'container c of pod ns/p');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(CreateContainerError);
    expect((err as CreateContainerError).message).toBe(
      'container c of pod ns/p: container has runAsNonRoot and image will run as root',
    );
    expect((err as CreateContainerError).waitingReason).toBe('CreateContainerConfigError');
    expect(() => containerUser({ uid: 1000, gid: 0 }, { runAsNonRoot: true, runAsUser: 0 }, 'c')).toThrow(
      /runAsUser breaks non-root policy/,
    );
    expect(containerUser({ uid: 1000, gid: 0 }, { runAsNonRoot: true }, 'c')).toEqual({ uid: 1000, gid: 0 });
    expect(containerUser({ uid: 0, gid: 0 }, { runAsNonRoot: true, runAsUser: 65534 }, 'c')).toEqual({
      uid: 65534,
      gid: 0,
    });
  });

  it("computes capabilities with Docker's rules: drop, add, ALL", () => {
    expect(containerCapabilities({ capabilities: { drop: ['NET_RAW', 'CAP_MKNOD'], add: ['NET_ADMIN'] } })).toEqual([
      ...DEFAULT_CAPABILITIES.filter((c) => c !== 'NET_RAW' && c !== 'MKNOD'),
      'NET_ADMIN',
    ]);
    expect(containerCapabilities({ capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } })).toEqual([
      'NET_BIND_SERVICE',
    ]);
    expect(containerCapabilities({ capabilities: { drop: ['ALL'] } })).toEqual([]);
    expect(containerCapabilities({ capabilities: { add: ['ALL'], drop: ['SYS_ADMIN'] } })).toEqual(
      LINUX_CAPABILITIES.filter((c) => c !== 'SYS_ADMIN'),
    );
    expect(containerCapabilities({ privileged: true, capabilities: { drop: ['ALL'] } })).toEqual([
      ...LINUX_CAPABILITIES,
    ]);
    // "Every" capability is every one the node has: a node without SYS_RESOURCE cannot grant it.
    const node = boundingCapabilities('Name:\tx\nCapBnd:\t000001fffeffffff\n');
    expect(node).toHaveLength(LINUX_CAPABILITIES.length - 1);
    expect(node).not.toContain('SYS_RESOURCE');
    expect(boundingCapabilities('CapBnd:\t00000000a80425fb\n')).toEqual(
      [...DEFAULT_CAPABILITIES].sort((a, b) => LINUX_CAPABILITIES.indexOf(a) - LINUX_CAPABILITIES.indexOf(b)),
    );
    expect(containerCapabilities({ privileged: true }, node)).toEqual(node);
    expect(containerCapabilities({ capabilities: { add: ['ALL'] } }, node)).toEqual(node);
    const c = cfg({ security: { capabilities: { drop: ['ALL'] } } });
    expect(c.process.capabilities).toEqual({ bounding: [], effective: [], permitted: [] });
  });

  it('gives a privileged container every capability, the devices, a writable /sys and no seccomp filter', () => {
    const c = cfg({ security: { privileged: true } });
    expect(c.process.capabilities.bounding).toHaveLength(LINUX_CAPABILITIES.length);
    expect(c.process.noNewPrivileges).toBe(false);
    expect(c.linux.seccomp).toBeUndefined();
    expect(c.linux.resources.devices).toEqual([{ allow: true, access: 'rwm' }]);
    expect(c.linux.maskedPaths).toEqual([]);
    expect(c.linux.readonlyPaths).toEqual([]);
    expect(c.mounts.find((m) => m.destination === '/dev')).toMatchObject({
      type: 'bind',
      options: expect.arrayContaining(['rbind']) as string[],
    });
    expect(c.mounts.find((m) => m.destination === '/sys/fs/cgroup')?.options).toContain('rw');
  });

  it("filters system calls as Docker's default profile does, by architecture and capability", () => {
    const plain = defaultSeccompProfile('x64', DEFAULT_CAPABILITIES);
    const names = allowed(plain);
    for (const ok of ['read', 'write', 'execve', 'futex', 'chroot', 'arch_prctl', 'ptrace'])
      expect(names.has(ok), ok).toBe(true);
    for (const denied of [
      'unshare',
      'mount',
      'setns',
      'keyctl',
      'add_key',
      'bpf',
      'reboot',
      'init_module',
      'kexec_load',
      'clone3',
      'clone',
    ])
      expect(names.has(denied), denied).toBe(false);
    // clone only without namespace flags; clone3 answers ENOSYS so libc falls back to clone.
    expect(plain.syscalls).toContainEqual({
      names: ['clone'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: 2114060288, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    });
    expect(plain.syscalls).toContainEqual({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
    expect(plain.syscalls).toContainEqual({
      names: ['socket'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }],
    });
    const admin = defaultSeccompProfile('x64', [...DEFAULT_CAPABILITIES, 'SYS_ADMIN', 'SYS_TIME']);
    for (const ok of ['unshare', 'mount', 'setns', 'clone', 'clone3', 'settimeofday'])
      expect(allowed(admin).has(ok), ok).toBe(true);
    expect(admin.syscalls.some((r) => r.action === 'SCMP_ACT_ERRNO')).toBe(false);
    const chrootless = allowed(
      defaultSeccompProfile(
        'x64',
        DEFAULT_CAPABILITIES.filter((c) => c !== 'SYS_CHROOT'),
      ),
    );
    expect(chrootless.has('chroot')).toBe(false);
    const arm = defaultSeccompProfile('arm64', []);
    expect(arm.architectures).toEqual(['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    expect(allowed(arm).has('set_tls')).toBe(true);
    expect(allowed(arm).has('arch_prctl')).toBe(false);
    expect(() => defaultSeccompProfile('s390x', [])).toThrow(/no default seccomp profile/);
  });
});
