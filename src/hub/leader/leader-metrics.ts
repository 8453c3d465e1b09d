/** The hub's leader-election metrics (kube-controller-manager's `leader_election_master_status`, ours). */
import { Counter, Gauge, type Registry } from 'prom-client';

/** `edgeplane_leader_is_leader` and `edgeplane_leader_transitions_total`. */
export class LeaderMetrics {
  readonly #isLeader: Gauge;
  readonly #transitions: Counter<'to'>;

  constructor(registry: Registry) {
    this.#isLeader = new Gauge({
      name: 'edgeplane_leader_is_leader',
      help: 'Whether this hub is the leader running the scheduler and controllers (1) or a follower (0).',
      registers: [registry],
    });
    this.#transitions = new Counter({
      name: 'edgeplane_leader_transitions_total',
      help: 'Times this hub started leading (to="leader") or stopped (to="follower").',
      labelNames: ['to'],
      registers: [registry],
    });
  }

  leading(): void {
    this.#isLeader.set(1);
    this.#transitions.inc({ to: 'leader' });
  }

  following(): void {
    this.#isLeader.set(0);
    this.#transitions.inc({ to: 'follower' });
  }

  /** A follower from the start (no transition). */
  init(): void {
    this.#isLeader.set(0);
  }
}
