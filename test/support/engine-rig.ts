/**
 * What every Engine API e2e file starts before its nodes: a private registry (user `ci`) holding
 * busybox, `podman system service` and `dockerd` on bridges and subnets of the file's own, and the
 * registry credentials file the nodes are given. Started together; `stop()` stops whatever did start,
 * so a daemon that failed to start never leaves the other one running.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Dockerd, PodmanService } from './oci-daemons.js';
import { busyboxImage } from './oci-images.js';
import { TestRegistry } from './registry.js';

/** A daemon's network: its bridge device (≤ 15 characters) and subnet. */
export interface RigNetwork {
  bridge: string;
  subnet: string;
}

/** Options of {@link EngineRig.start}. */
export interface EngineRigOptions {
  /** Folder for the registry, both daemons and the credentials file (short: podman limits its runroot path). */
  dir: string;
  /** The registry's loopback address (one of the file's own). */
  registryAddress: string;
  podman: RigNetwork;
  docker: RigNetwork;
}

/** The registry, both daemons and the credentials (see the file comment). */
export class EngineRig {
  private constructor(
    readonly registry: TestRegistry,
    readonly podman: PodmanService,
    readonly docker: Dockerd,
    /** The registry credentials file (0600) for `--oci-registry-config`. */
    readonly auth: string,
    /** `<registry>/private/busybox:1.0`, pushed before the daemons start. */
    readonly image: string,
  ) {}

  /** Starts it all; on a failure, stops what did start and throws. */
  static async start(opts: EngineRigOptions): Promise<EngineRig> {
    const registry = await TestRegistry.start({
      address: opts.registryAddress,
      dir: join(opts.dir, 'registry'),
      users: { ci: 'secret' },
    });
    let podman: PodmanService | undefined;
    let docker: Dockerd | undefined;
    try {
      await registry.push('private/busybox', '1.0', await busyboxImage('amd64'));
      const insecureRegistries = [registry.host];
      // Settled one by one, so whichever daemon did start is stopped when the other did not.
      const [p, d] = await Promise.allSettled([
        PodmanService.start({ dir: join(opts.dir, 'podman'), ...opts.podman, insecureRegistries }),
        Dockerd.start({ dir: join(opts.dir, 'docker'), ...opts.docker, insecureRegistries }),
      ]);
      if (p.status === 'fulfilled') podman = p.value;
      if (d.status === 'fulfilled') docker = d.value;
      if (p.status === 'rejected') throw p.reason;
      if (d.status === 'rejected') throw d.reason;
      const auth = join(opts.dir, 'auth.json');
      const credentials = Buffer.from('ci:secret').toString('base64');
      writeFileSync(auth, JSON.stringify({ auths: { [registry.host]: { auth: credentials } } }), { mode: 0o600 });
      return new EngineRig(registry, podman!, docker!, auth, `${registry.host}/private/busybox:1.0`);
    } catch (err) {
      await Promise.all([podman?.stop(), docker?.stop()]);
      await registry.stop();
      throw err;
    }
  }

  /** The edge-node arguments of a node on `engine`'s daemon, with the registry credentials. */
  nodeArgs(engine: 'podman' | 'docker'): string[] {
    const socket = engine === 'podman' ? this.podman.socketPath : this.docker.socketPath;
    return ['--oci-runtime', engine, '--oci-socket', socket, '--oci-registry-config', this.auth];
  }

  /** Stops both daemons, then the registry. */
  async stop(): Promise<void> {
    await Promise.all([this.podman.stop(), this.docker.stop()]);
    await this.registry.stop();
  }
}
