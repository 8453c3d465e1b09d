/**
 * How each hollow node's dials went since a mark (the storm's start): how many failed and why, when
 * the dial that got in was made, and when it was welcomed. The storm's NotReady nodes are read
 * against it: did they dial late, fail and back off, or wait on the hub after a dial that got in?
 */

/** One node's dials since the mark (times in ms after the mark; -1: not yet). */
export interface DialRecord {
  name: string;
  /** Failed dials by reason (`dialFailureReason`). */
  failures: Record<string, number>;
  /** When the dial that was welcomed started, and when it was welcomed. */
  dialedAt: number;
  welcomedAt: number;
}

/** A short, stable reason for a failed dial from the error `ws`/`net`/`tls` gave (or the close code). */
export function dialFailureReason(message: string): string {
  if (/ECONNREFUSED/.test(message)) return 'refused';
  if (/handshake has timed out/i.test(message)) return 'handshake timeout';
  if (/ECONNRESET|socket hang up/i.test(message)) return 'reset';
  if (/ETIMEDOUT/.test(message)) return 'connect timeout';
  return message.replace(/[0-9]+/g, 'N').slice(0, 60);
}

/** The dial log of one node. */
export class DialLog {
  #mark = 0;
  #failures: Record<string, number> = {};
  #dialStart = 0;
  #dialedAt = -1;
  #welcomedAt = -1;

  /** Starts a new record at `now`. */
  mark(now: number): void {
    this.#mark = now;
    this.#failures = {};
    this.#dialedAt = -1;
    this.#welcomedAt = -1;
  }

  /** A dial starts. */
  dialing(now: number): void {
    this.#dialStart = now;
  }

  /** The current dial failed for `reason`. */
  failed(reason: string): void {
    if (this.#mark === 0) return;
    this.#failures[reason] = (this.#failures[reason] ?? 0) + 1;
  }

  /** The current dial was welcomed at `now` (the first welcome after the mark is kept). */
  welcomed(now: number): void {
    if (this.#mark === 0 || this.#welcomedAt >= 0) return;
    this.#dialedAt = Math.max(0, this.#dialStart - this.#mark);
    this.#welcomedAt = now - this.#mark;
  }

  /** The record, under the node's name. */
  record(name: string): DialRecord {
    return { name, failures: { ...this.#failures }, dialedAt: this.#dialedAt, welcomedAt: this.#welcomedAt };
  }
}
