/** What one container's runc process (runc-process.ts) is built with. */
import type { Logger } from '../../api/index.js';
import type { CriLogRotation } from '../../platform/index.js';
import type { OciExit } from '../adapter.js';

/** How one container's runc is run. */
export interface RuncProcessDeps {
  runc: string;
  /** runc's `--root` (its state directory). */
  root: string;
  id: string;
  bundle: string;
  logPath: string;
  /** Rotation of the log file; none when absent. */
  logRotation?: CriLogRotation;
  cgroupsPath: string;
  /** Keep a stdin pipe for attaches (`once`: closed after the first attach that wrote to it ends). */
  stdin?: { once: boolean };
  /** The bundle asks for a terminal (`process.terminal`): runc runs under a pty helper (see start). */
  tty?: boolean;
  logger: Logger;
  onExit(exit: OciExit): void;
}
