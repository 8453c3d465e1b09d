/** What every hollow node of one fleet shares: the timer wheel, credentials, tuning, and the fleet's tallies. */
import type { HollowIdentities } from './identity.js';
import type { TimerWheel } from './wheel.js';

/** Tuning of the simulated nodes (defaults suit a realistic agent). */
export interface HollowTuning {
  /** A pod is Ready this long (uniformly random in the range, ms) after it arrives; Running at half. */
  startDelayMs: [number, number];
  /** A gracefully deleted pod is reported gone this long after the deletion arrives (ms). */
  stopDelayMs: number;
  /** Status changes of one node are gathered this long before one report is sent (the agent's batching). */
  statusBatchMs: number;
  /** Redial back-off: first delay, cap, and connected time after which it resets (ms), as the agent's. */
  backoff: { initialMs: number; maxMs: number; stableMs: number };
  /** Pods a node offers in its capacity. */
  podCapacity: number;
}

export const DEFAULT_TUNING: HollowTuning = {
  startDelayMs: [200, 500],
  stopDelayMs: 50,
  statusBatchMs: 20,
  backoff: { initialMs: 500, maxMs: 15_000, stableMs: 10_000 },
  podCapacity: 250,
};

/** Fleet-wide tallies the nodes update as things happen (read by the driver through `stats`). */
export interface FleetTally {
  /** Sessions welcomed (first connects and reconnects). */
  welcomes: number;
  /** Welcomed sessions that dropped while the fleet was running (not by a fleet `kill`). */
  drops: number;
  /** Dials that failed before a welcome (refused, timed out, reset). */
  failedDials: number;
  /** Dials the hub answered `Busy` (admission full; the node redials after the delay named). */
  busy?: number;
  /** Sessions ended because the hub was silent (no pong, no frame) for the agent's `missedPongs` intervals. */
  pongTimeouts: number;
  /** Distinct pods ever received, and when the first and latest new one arrived (ms epoch). */
  podsSeen: number;
  firstPodAt: number;
  lastPodAt: number;
  /** Pods that reached Ready for the first time, and when the latest did (ms epoch). */
  podsReadyOnce: number;
  lastReadyAt: number;
  /** Pods the hub took away (`podDelete`, or dropped from a `podSync`) or deleted gracefully. */
  podsRemoved: number;
  /** Frames from the hub that did not decode or validate. */
  badFrames: number;
  /** Service frames a node could not apply (it asked for a `resync`, as the agent does). */
  resyncs: number;
  /** Last few distinct errors (hub refusals, CSR failures), for the report. */
  errors: string[];
}

export function emptyTally(): FleetTally {
  return {
    welcomes: 0,
    drops: 0,
    failedDials: 0,
    pongTimeouts: 0,
    podsSeen: 0,
    firstPodAt: 0,
    lastPodAt: 0,
    podsReadyOnce: 0,
    lastReadyAt: 0,
    podsRemoved: 0,
    badFrames: 0,
    resyncs: 0,
    errors: [],
  };
}

/** Records an error message once (the last 20 distinct ones are kept). */
export function noteError(tally: FleetTally, message: string): void {
  if (tally.errors.includes(message)) return;
  tally.errors.push(message.slice(0, 300));
  if (tally.errors.length > 20) tally.errors.shift();
}

/** The shared parts handed to each node. */
export interface FleetContext {
  gatewayUrl: string;
  identities: HollowIdentities;
  wheel: TimerWheel;
  tuning: HollowTuning;
  tally: FleetTally;
  /** Distinct pod uids ever seen by the fleet (a pod moved to another node counts once). */
  seenPods: Set<string>;
  /** Pod uids that have been Ready once. */
  readyPods: Set<string>;
}
