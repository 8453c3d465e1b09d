/**
 * `edge-hub rotate-encryption-key --data-dir DIR [--encryption-key-file F] [--drop-old-keys]`: the
 * command line of {@link rotateEncryptionKey}, run while the hub is stopped. Prints key names and
 * counts, never key material.
 */
import { Command } from 'commander';
import { resolve } from 'node:path';
import { createLogger } from '../../platform/index.js';
import { rotateEncryptionKey } from './rotate.js';

/** Runs the rotation command with `argv` (`[node, script, 'rotate-encryption-key', ...flags]`). */
export async function rotateCommand(argv: string[], out: (line: string) => void): Promise<void> {
  const cmd = new Command('edge-hub rotate-encryption-key')
    .description('re-encrypt every Secret of a STOPPED hub with a new key (put first in the keyring)')
    .option('--data-dir <dir>', "the hub's data dir", './edge-hub-data')
    .option('--encryption-key-file <file>', 'the keyring the hub runs with, if not <data-dir>/encryption.keys')
    .option('--drop-old-keys', 'remove the older keys once every Secret is re-encrypted')
    .option('--log-level <level>', 'trace, debug, info, warn, error', 'warn')
    .showHelpAfterError();
  cmd.parse(argv.filter((a, i) => !(i === 2 && a === 'rotate-encryption-key')));
  const o = cmd.opts<{ dataDir: string; encryptionKeyFile?: string; dropOldKeys?: boolean; logLevel: string }>();
  const r = await rotateEncryptionKey({
    dataDir: resolve(o.dataDir),
    ...(o.encryptionKeyFile !== undefined ? { keyFile: resolve(o.encryptionKeyFile) } : {}),
    dropOldKeys: o.dropOldKeys === true,
    logger: createLogger('edge-hub', o.logLevel),
  });
  out(`new key "${r.keyName}": ${r.rewritten} Secret(s) re-encrypted, ${r.unchanged} already under it`);
  if (r.droppedKeys.length > 0) out(`removed keys: ${r.droppedKeys.join(', ')}`);
}
