/**
 * A running hub picks up its edited keyring file (as kube-apiserver's
 * `--encryption-provider-config-automatic-reload`): the file is read every interval and, when its text
 * changed and parses, the encrypting store switches to it. A file that does not parse (an editor's
 * half-written save, a typo) is logged once and the keyring in use is kept. This is what lets several
 * hubs on etcd rotate their key without a restart (`rotate-online.ts`).
 */
import { readFile } from 'node:fs/promises';
import { errorMessage, type Logger } from '../../api/index.js';
import type { EncryptingStore } from './encrypting-store.js';
import { Keyring } from './keyring.js';

/** How often the keyring file is read by default. */
export const DEFAULT_KEYRING_RELOAD_MS = 2_000;

/** Options of {@link KeyringReloader}. */
export interface KeyringReloaderOptions {
  path: string;
  store: EncryptingStore;
  intervalMs?: number;
  logger: Logger;
}

/** Polls a keyring file and hands a changed one to the store. */
export class KeyringReloader {
  readonly #o: KeyringReloaderOptions;
  #timer: NodeJS.Timeout | undefined;
  #lastText: string | undefined;
  #running: Promise<void> | undefined;

  constructor(opts: KeyringReloaderOptions) {
    this.#o = opts;
  }

  /** Starts polling (the first read only remembers the file as it is). */
  start(): void {
    const tick = (): void => {
      this.#running ??= this.check().finally(() => (this.#running = undefined));
    };
    tick();
    this.#timer = setInterval(tick, this.#o.intervalMs ?? DEFAULT_KEYRING_RELOAD_MS);
    this.#timer.unref();
  }

  /** Stops polling. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  /** Reads the file once; switches the store's keyring when it changed and parses. */
  async check(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.#o.path, 'utf8');
    } catch (err) {
      if (this.#lastText !== '')
        this.#o.logger.warn({ err: errorMessage(err) }, 'cannot read the encryption keyring file');
      this.#lastText = '';
      return;
    }
    if (text === this.#lastText) return;
    const first = this.#lastText === undefined;
    this.#lastText = text;
    let next: Keyring;
    try {
      // Load (not parse): a file other users may read is refused, as at start.
      next = await Keyring.load(this.#o.path);
    } catch (err) {
      this.#o.logger.error(
        { err: errorMessage(err) },
        'the encryption keyring file changed but is not usable: keeping the keys in use',
      );
      return;
    }
    const before = this.#o.store.currentKeyring.names;
    if (first && before.join() === next.names.join()) return;
    this.#o.store.useKeyring(next);
    this.#o.logger.info({ keys: next.names, primary: next.primary.name, before }, 'reloaded the encryption keyring');
  }
}
