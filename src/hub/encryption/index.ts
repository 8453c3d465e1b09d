/** Encryption at rest of the hub's Secrets: the keyring, the envelope format, the store wrapper, rotation. */
export { Keyring, KeyringError, type NamedKey } from './keyring.js';
export { DecryptionError, ENVELOPE_PREFIX, decryptValue, encryptValue, isEnvelope } from './envelope.js';
export { EncryptingStore, type EncryptingStoreOptions, type ReencryptResult } from './encrypting-store.js';
export { DEFAULT_KEYRING_FILE, ENCRYPTED_PREFIXES, keyringPath, loadHubKeyring, openHubStore } from './hub-store.js';
export { rotateEncryptionKey, type RotateOptions, type RotateResult } from './rotate.js';
export { rotateCommand } from './rotate-command.js';
export { DEFAULT_KEYRING_RELOAD_MS, KeyringReloader, type KeyringReloaderOptions } from './keyring-reload.js';
export {
  ONLINE_ROTATION_STEPS,
  RotationNotReadyError,
  rotateOnline,
  type OnlineRotateOptions,
  type OnlineRotateResult,
  type OnlineRotationStep,
} from './rotate-online.js';
