/**
 * Key rotation while the hubs run, for several hubs on one etcd (the SQLite hub rotates offline:
 * `rotate.ts`). The procedure is Kubernetes' for HA API servers, in four steps, each run once against
 * the keyring file and then waited on; every hub reloads its keyring file (`KeyringReloader`) and
 * publishes its key names in its presence record, so a step that needs every hub to hold a key waits
 * until every hub's record says so, and no hub ever meets a value under a key it does not hold:
 *
 * 1. `add`: a fresh key goes second in the keyring (decrypts, does not encrypt). Copy the file to
 *    every hub (hubs on one machine may share it).
 * 2. `promote`: once every hub holds it, it moves first: hubs encrypt with it from their next reload.
 * 3. `rewrite`: once every hub encrypts with it, every Secret is rewritten under it, each with a
 *    compare-and-swap on its revision (a Secret written meanwhile is read again and retried).
 * 4. `drop`: once every Secret is under it (the rewrite is repeated first), the older keys go.
 *
 * Copy the file to every hub after each step. Names and counts only are printed, never key material.
 */
import { errorMessage, type Logger } from '../../api/index.js';
import { presenceKeyNames } from '../leader/index.js';
import type { Store } from '../store/index.js';
import { EncryptingStore } from './encrypting-store.js';
import { ENCRYPTED_PREFIXES } from './hub-store.js';
import { Keyring } from './keyring.js';

/** The steps of an online rotation, in order. */
export const ONLINE_ROTATION_STEPS = ['add', 'promote', 'rewrite', 'drop'] as const;
/** One step of {@link rotateOnline}. */
export type OnlineRotationStep = (typeof ONLINE_ROTATION_STEPS)[number];

/** A step whose precondition the hubs did not reach in time; names the hubs, never key material. */
export class RotationNotReadyError extends Error {}

/** Options of {@link rotateOnline}. */
export interface OnlineRotateOptions {
  step: OnlineRotationStep;
  /** The keyring file (the copy the hubs' files are made from). */
  keyFile: string;
  /** The cluster's etcd store (raw, not encrypting), for every step but `add`. */
  store?: Store;
  /** How long to wait for every hub to reach the step's precondition (default 60 s). */
  waitMs?: number;
  /** How often the hubs' records are read while waiting (default 500 ms). */
  pollMs?: number;
  logger: Logger;
}

/** The outcome of a step (names and counts only). */
export interface OnlineRotateResult {
  step: OnlineRotationStep;
  /** The keyring's key names after the step, the primary first. */
  keys: string[];
  /** Secrets rewritten (`rewrite`, `drop`). */
  rewritten?: number;
  unchanged?: number;
  /** Hubs whose records were waited on. */
  hubs?: string[];
}

/** Runs one step of an online rotation (see the file comment). */
export async function rotateOnline(opts: OnlineRotateOptions): Promise<OnlineRotateResult> {
  const keyring = await Keyring.load(opts.keyFile);
  if (opts.step === 'add') {
    const next = keyring.withNewSecondary();
    await next.save(opts.keyFile);
    return { step: 'add', keys: next.names };
  }
  const store = opts.store;
  if (store === undefined) throw new Error(`step "${opts.step}" needs the cluster's etcd store`);
  if (opts.step === 'promote') {
    const newest = keyring.keys[1]?.name;
    if (newest === undefined) throw new RotationNotReadyError('nothing to promote: run the "add" step first');
    const hubs = await waitForHubs(opts, store, `hold key "${newest}"`, (keys) => keys.includes(newest));
    const next = keyring.promoted(newest);
    await next.save(opts.keyFile);
    return { step: 'promote', keys: next.names, hubs };
  }
  const primary = keyring.primary.name;
  const hubs = await waitForHubs(opts, store, `encrypt with key "${primary}"`, (keys) => keys[0] === primary);
  const encrypting = new EncryptingStore(store, keyring, { prefixes: ENCRYPTED_PREFIXES, logger: opts.logger });
  const counts = await encrypting.reencrypt();
  if (opts.step === 'rewrite') return { step: 'rewrite', keys: keyring.names, ...counts, hubs };
  const next = new Keyring([keyring.primary]);
  await next.save(opts.keyFile);
  return { step: 'drop', keys: next.names, ...counts, hubs };
}

/**
 * Waits until the presence record of every hub lists key names `ok` accepts; the hubs' identities.
 * A record of a dead hub lingers until a live hub removes it: waiting past it is what `waitMs` is for.
 */
async function waitForHubs(
  opts: OnlineRotateOptions,
  store: Store,
  what: string,
  ok: (keys: readonly string[]) => boolean,
): Promise<string[]> {
  const deadline = Date.now() + (opts.waitMs ?? 60_000);
  for (;;) {
    let lacking: string[];
    let all: string[] = [];
    try {
      const records = await presenceKeyNames(store);
      all = [...records.keys()].sort();
      lacking = all.filter((hub) => !ok(records.get(hub) ?? []));
    } catch (err) {
      lacking = [`(the hubs' records could not be read: ${errorMessage(err)})`];
    }
    if (lacking.length === 0) {
      if (all.length === 0) throw new RotationNotReadyError('no hub publishes a presence record on this etcd');
      return all;
    }
    if (Date.now() >= deadline)
      throw new RotationNotReadyError(
        `not every hub ${what} yet: ${lacking.join(', ')} (copy the keyring file to every hub; a hub reloads it within seconds)`,
      );
    opts.logger.info({ lacking }, `waiting for every hub to ${what}`);
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 500));
  }
}
