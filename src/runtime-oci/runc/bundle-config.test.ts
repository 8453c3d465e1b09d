import { describe, expect, it } from 'vitest';
import { processSpec, runcConfig } from './bundle-config.js';

const image = { Entrypoint: ['/entry'], Cmd: ['--serve'], Env: ['PATH=/opt/bin', 'A=image'], WorkingDir: '/srv' };
const base = { command: [] as string[], args: [] as string[], env: {}, hostname: 'pod-1' };

describe('processSpec', () => {
  it("combines the image's entrypoint/cmd with the pod's command/args as Kubernetes does", () => {
    expect(processSpec(image, base, 'c').args).toEqual(['/entry', '--serve']);
    expect(processSpec(image, { ...base, args: ['--other'] }, 'c').args).toEqual(['/entry', '--other']);
    expect(processSpec(image, { ...base, command: ['/bin/sh'] }, 'c').args).toEqual(['/bin/sh']);
    expect(processSpec(image, { ...base, command: ['/bin/sh'], args: ['-c', 'x'] }, 'c').args).toEqual(['/bin/sh', '-c', 'x']);
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
  const input = { process: { args: ['x'], env: [], cwd: '/' }, user: { uid: 1, gid: 2 }, hostname: 'h', rootfs: '/b/rootfs', cgroupsPath: '/edgeplane/c', limits: {}, etcFiles: { hosts: '/b/hosts', hostname: '/b/hostname' } };

  it('joins the pod network namespace, or shares the node one with its /sys bound read-only', () => {
    const own = runcConfig({ ...input, netnsPath: '/var/run/netns/n' }) as { linux: { namespaces: Array<{ type: string; path?: string }> }; mounts: Array<{ destination: string; type: string }> };
    expect(own.linux.namespaces).toContainEqual({ type: 'network', path: '/var/run/netns/n' });
    expect(own.mounts.find((m) => m.destination === '/sys')?.type).toBe('sysfs');
    const host = runcConfig(input) as typeof own;
    expect(host.linux.namespaces.some((n) => n.type === 'network')).toBe(false);
    expect(host.mounts.find((m) => m.destination === '/sys')?.type).toBe('bind');
  });

  it('turns limits into cgroup resources', () => {
    const c = runcConfig({ ...input, limits: { memoryBytes: 64 << 20, cpuMillis: 250 } }) as { linux: { resources: { memory: { limit: number }; cpu: { quota: number; period: number } } } };
    expect(c.linux.resources.memory.limit).toBe(64 << 20);
    expect(c.linux.resources.cpu).toEqual({ period: 100_000, quota: 25_000 });
  });
});
