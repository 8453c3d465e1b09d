/** What the node tells the hub about itself in `hello`. */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { MAX_NODE_IMAGES, formatBytes } from '../api/index.js';
import type { NodeInfo, Runtime } from '../api/index.js';

/** Node capacity as quantities (defaults: all CPUs, total memory, 110 pods as the kubelet). */
export interface NodeCapacity {
  cpu: string | number;
  memory: string | number;
  pods: string | number;
}

/** Kubernetes architecture name of a Node.js `process.arch`. */
export function kubeArch(arch: string = process.arch): string {
  const map: Record<string, string> = {
    x64: 'amd64',
    arm64: 'arm64',
    arm: 'arm',
    ia32: '386',
    ppc64: 'ppc64le',
    s390x: 's390x',
    riscv64: 'riscv64',
  };
  return map[arch] ?? arch;
}

/** The capacity this machine offers, with the given overrides. */
export function detectCapacity(overrides: Partial<NodeCapacity> = {}): NodeCapacity {
  const cpus = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return {
    cpu: overrides.cpu ?? String(cpus),
    memory: overrides.memory ?? formatBytes(Math.floor(os.totalmem() / 1024) * 1024),
    pods: overrides.pods ?? '110',
  };
}

let cachedVersion: string | undefined;

/** The agent's version (the package version; `0.0.0` when it cannot be read). */
export function agentVersion(): string {
  if (cachedVersion !== undefined) return cachedVersion;
  try {
    // src/edge-node/*.ts and dist/edge-node/*.js both sit two levels below the package root.
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    cachedVersion = typeof pkg.version === 'string' ? `v${pkg.version}` : 'v0.0.0';
  } catch {
    cachedVersion = 'v0.0.0';
  }
  return cachedVersion;
}

function osImage(): string | undefined {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
    return m?.[1];
  } catch {
    return undefined;
  }
}

/** Builds the `NodeInfo` sent on each connect (images are listed afresh each time). */
export function buildNodeInfo(args: {
  name: string;
  labels: Record<string, string>;
  address: string;
  meshPort: number;
  runtimes: readonly Runtime[];
  capacity: NodeCapacity;
}): NodeInfo {
  const images = listNodeImages(args.runtimes);
  const info: NodeInfo = {
    name: args.name,
    labels: args.labels,
    address: args.address,
    meshPort: args.meshPort,
    arch: kubeArch(),
    os: process.platform,
    runtimes: args.runtimes.map((r) => r.name),
    capacity: { cpu: args.capacity.cpu, memory: args.capacity.memory, pods: args.capacity.pods },
    agentVersion: agentVersion(),
    kernelVersion: os.release(),
    images,
  };
  const image = osImage();
  if (image !== undefined) info.osImage = image;
  return info;
}

/**
 * The images the node's runtimes hold, each reference once, at most `MAX_NODE_IMAGES` (the hub takes a
 * bounded list; the first ones are as good a hint for scheduling as any).
 */
export function listNodeImages(runtimes: readonly Runtime[]): string[] {
  return [...new Set(runtimes.flatMap((r) => safeList(r)))].slice(0, MAX_NODE_IMAGES);
}

function safeList(r: Runtime): string[] {
  try {
    return r.listImages();
  } catch {
    return [];
  }
}
