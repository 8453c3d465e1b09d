/**
 * The hubs a node learned from the cluster (protocol 7's `hubs` frame), kept in its data dir
 * (`hubs.json`) so that a node restarted while the hub of its `--server` is down still knows the
 * others: `HubEndpoints` adds them after the given hubs at start and dials them in turn. Trust is not
 * widened by the file: every hub in it must still present the CA the node pinned at its join.
 *
 * Writes are durable (a power cut leaves the old or the new list) and happen only when the list
 * changes, which is when a hub joins or leaves the cluster: never per heartbeat.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../../api/index.js';
import { errorMessage } from '../../api/index.js';
import { writeFileDurableSync } from '../../durable/index.js';

/** The file's name in the data dir. */
export const LEARNED_HUBS_FILE = 'hubs.json';

/** A bounded list: a file grown by hand or by a broken write cannot make the node dial thousands of hubs. */
const LearnedHubsDoc = z.object({ hubs: z.array(z.string().min(1).max(512)).max(64) });

/** Where the learned hubs are kept, and how. */
export interface LearnedHubsStore {
  /** The hubs kept from an earlier run (empty when there are none, or the file cannot be read). */
  load(): string[];
  /** Keeps `urls` as the learned hubs. */
  save(urls: readonly string[]): void;
}

/** `hubs.json` in a node's data dir. */
export class LearnedHubsFile implements LearnedHubsStore {
  readonly #path: string;
  readonly #logger: Logger;

  constructor(dataDir: string, logger: Logger) {
    this.#path = join(dataDir, LEARNED_HUBS_FILE);
    this.#logger = logger;
  }

  load(): string[] {
    let text: string;
    try {
      text = readFileSync(this.#path, 'utf8');
    } catch {
      return [];
    }
    try {
      const parsed = LearnedHubsDoc.safeParse(JSON.parse(text));
      if (parsed.success) return parsed.data.hubs;
      this.#logger.warn({ file: this.#path }, 'ignoring the learned hubs file: not a list of hub URLs');
    } catch (err) {
      this.#logger.warn({ file: this.#path, err: errorMessage(err) }, 'ignoring the learned hubs file');
    }
    return [];
  }

  save(urls: readonly string[]): void {
    try {
      writeFileDurableSync(this.#path, `${JSON.stringify({ hubs: urls.slice(0, 64) })}\n`, { mode: 0o644 });
    } catch (err) {
      // Only a later restart with its --server down would miss them: worth a warning, not a failure.
      this.#logger.warn({ file: this.#path, err: errorMessage(err) }, 'could not keep the learned hubs');
    }
  }
}
