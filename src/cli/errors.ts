/** Errors edgectl raises itself (not the hub): bad usage and bad local configuration. */
import { EdgeError, StatusReason } from '../api/lite.js';

/** The command line is wrong; `hint` tells what to type instead. */
export class UsageError extends EdgeError {
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(StatusReason.BadRequest, 400, message);
    this.hint = hint;
  }
}

/** The config file or connection settings are unusable. */
export class ConfigError extends EdgeError {
  constructor(message: string) {
    super(StatusReason.BadRequest, 400, message);
  }
}
