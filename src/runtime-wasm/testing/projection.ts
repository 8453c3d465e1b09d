/**
 * Test support (not a test): a configMap/secret volume written as the kubelet writes it, for the
 * config example tests: the files in a new `..<ts>` directory, `..data` swapped to it, and each
 * `<key>` a link to `..data/<key>`.
 */
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Publishes `files` in `volume` under the timestamped directory `ts`, atomically for readers. */
export function publishProjection(volume: string, ts: string, files: Record<string, string>): void {
  mkdirSync(join(volume, ts), { recursive: true });
  for (const [k, v] of Object.entries(files)) writeFileSync(join(volume, ts, k), v);
  symlinkSync(ts, join(volume, '..data_tmp'));
  renameSync(join(volume, '..data_tmp'), join(volume, '..data'));
  for (const k of Object.keys(files)) rmSync(join(volume, k), { force: true });
  for (const k of Object.keys(files)) symlinkSync(`..data/${k}`, join(volume, k));
}
