/**
 * `edge-hub rotate-encryption-key --data-dir DIR [--encryption-key-file F] [--drop-old-keys]`: the
 * command line of {@link rotateEncryptionKey}, run while the hub is stopped (SQLite).
 *
 * `edge-hub rotate-encryption-key --online add|promote|rewrite|drop --encryption-key-file F
 * --etcd-endpoints … [--etcd-prefix P] [--etcd-cafile/--etcd-certfile/--etcd-keyfile]`: one step of
 * {@link rotateOnline}, while the hubs on etcd run. Prints key names and counts, never key material.
 */
import { Command, Option } from 'commander';
import { resolve } from 'node:path';
import { createLogger } from '../../platform/index.js';
import { parseEtcdEndpoints, parseEtcdPrefix } from '../flags.js';
import { EtcdStore } from '../store/index.js';
import { rotateEncryptionKey } from './rotate.js';
import { ONLINE_ROTATION_STEPS, rotateOnline, type OnlineRotationStep } from './rotate-online.js';

interface Flags {
  dataDir: string;
  encryptionKeyFile?: string;
  dropOldKeys?: boolean;
  logLevel: string;
  online?: OnlineRotationStep;
  etcdEndpoints?: string[];
  etcdPrefix: string;
  etcdCafile?: string;
  etcdCertfile?: string;
  etcdKeyfile?: string;
  wait: string;
}

/** Runs the rotation command with `argv` (`[node, script, 'rotate-encryption-key', ...flags]`). */
export async function rotateCommand(argv: string[], out: (line: string) => void): Promise<void> {
  const cmd = new Command('edge-hub rotate-encryption-key')
    .description(
      're-encrypt every Secret of a STOPPED hub with a new key (put first in the keyring); with --online, one step of a rotation while hubs on etcd run',
    )
    .option('--data-dir <dir>', "the hub's data dir", './edge-hub-data')
    .option('--encryption-key-file <file>', 'the keyring the hub runs with, if not <data-dir>/encryption.keys')
    .option('--drop-old-keys', 'remove the older keys once every Secret is re-encrypted')
    .addOption(
      new Option(
        '--online <step>',
        'hubs on etcd, running: add (new key second), promote (first), rewrite (every Secret), drop (older keys); copy the file to every hub after each',
      ).choices(ONLINE_ROTATION_STEPS),
    )
    .addOption(new Option('--etcd-endpoints <urls>', 'etcd client URLs (--online)').argParser(parseEtcdEndpoints))
    .addOption(
      new Option('--etcd-prefix <prefix>', "the cluster's etcd prefix")
        .argParser(parseEtcdPrefix)
        .default('/edgeplane'),
    )
    .option('--etcd-cafile <file>', "CA bundle (PEM) verifying the etcd members' certificates")
    .option('--etcd-certfile <file>', 'client certificate (PEM) presented to etcd')
    .option('--etcd-keyfile <file>', 'private key (PEM) of --etcd-certfile')
    .option('--wait <seconds>', 'how long a step waits for every hub to reload the keyring', '60')
    .option('--log-level <level>', 'trace, debug, info, warn, error', 'warn')
    .showHelpAfterError();
  cmd.parse(argv.filter((a, i) => !(i === 2 && a === 'rotate-encryption-key')));
  const o = cmd.opts<Flags>();
  const logger = createLogger('edge-hub', o.logLevel);
  if (o.online !== undefined) {
    const keyFile = o.encryptionKeyFile;
    if (keyFile === undefined) return cmd.error('--online needs --encryption-key-file (the copy the hubs get)');
    if (o.online !== 'add' && o.etcdEndpoints === undefined) cmd.error(`--online ${o.online} needs --etcd-endpoints`);
    const waitSeconds = Number(o.wait);
    if (!Number.isFinite(waitSeconds) || waitSeconds < 0) cmd.error('--wait: expected seconds');
    const store =
      o.etcdEndpoints === undefined
        ? undefined
        : await EtcdStore.create({
            endpoints: o.etcdEndpoints,
            keyPrefix: o.etcdPrefix,
            tls: {
              ...(o.etcdCafile !== undefined ? { caFile: resolve(o.etcdCafile) } : {}),
              ...(o.etcdCertfile !== undefined ? { certFile: resolve(o.etcdCertfile) } : {}),
              ...(o.etcdKeyfile !== undefined ? { keyFile: resolve(o.etcdKeyfile) } : {}),
            },
            logger,
          });
    try {
      const r = await rotateOnline({
        step: o.online,
        keyFile: resolve(keyFile),
        ...(store ? { store } : {}),
        waitMs: waitSeconds * 1000,
        logger,
      });
      out(`${r.step}: keys ${r.keys.join(', ')} (the first encrypts)`);
      if (r.rewritten !== undefined) out(`${r.rewritten} Secret(s) re-encrypted, ${r.unchanged ?? 0} already under it`);
      out('copy the keyring file to every hub now');
    } finally {
      await store?.close();
    }
    return;
  }
  const r = await rotateEncryptionKey({
    dataDir: resolve(o.dataDir),
    ...(o.encryptionKeyFile !== undefined ? { keyFile: resolve(o.encryptionKeyFile) } : {}),
    dropOldKeys: o.dropOldKeys === true,
    logger,
  });
  out(`new key "${r.keyName}": ${r.rewritten} Secret(s) re-encrypted, ${r.unchanged} already under it`);
  if (r.droppedKeys.length > 0) out(`removed keys: ${r.droppedKeys.join(', ')}`);
}
