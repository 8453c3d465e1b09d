/**
 * Per-kind rules of the registry, as Kubernetes' REST strategies (`PrepareForCreate`,
 * `PrepareForUpdate`, `Validate`, `ValidateUpdate`, admission, delete hooks). The generic registry
 * (`object-registry.ts`, `deletion.ts`) knows no kind: it asks the strategy of the type it writes.
 * `DEFAULT_STRATEGY` holds the rules of every kind that has none of its own; a kind's strategy gives
 * only the hooks where it differs (`strategyOf`).
 */
import type { Clock, FieldCause, KubeObject, Logger, ObjectMeta } from '../../../api/index.js';
import type { Store } from '../../store/index.js';

/** What strategies may read (the store for cross-object rules), and the registry's random source. */
export interface StrategyDeps {
  store: Store;
  /**
   * The Namespace `name` (undefined: none): the watch cache's copy when it holds one, as Kubernetes'
   * admission plugins read a namespace lister, else the store's.
   */
  namespace(name: string): Promise<KubeObject | undefined>;
  clock: Clock;
  logger: Logger;
  random: () => number;
}

/** The rules the registry applies to one kind. */
export interface KindStrategy {
  /** The spec with defaults filled in; applied on create and on every update. */
  applyDefaults(obj: KubeObject): KubeObject;
  /** The status a new object of a kind with a status subresource is stored with (from the input's). */
  statusOnCreate(input: KubeObject): unknown;
  /** The body of an update from the input's, keeping what a manifest omits but the server set. */
  prepareForUpdate(cur: KubeObject, body: Record<string, unknown>): Record<string, unknown>;
  /** The metadata of an update (labels, annotations, … merged from the input), adjusted by the kind. */
  prepareMetadataForUpdate(cur: KubeObject, metadata: ObjectMeta): ObjectMeta;
  /** Cross-field rules of one object (create and update alike). */
  validate(obj: KubeObject): FieldCause[];
  /** Rules of an update relative to the stored object. */
  validateUpdate(cur: KubeObject, next: KubeObject): FieldCause[];
  /** Admission after validation (throws, e.g. ForbiddenError); `cur` is the stored object on update. */
  admit(obj: KubeObject, cur: KubeObject | undefined): Promise<void>;
  /** Assigns server-allocated fields (under `exclusive`); throws InvalidError on a collision. */
  allocate(key: string, obj: KubeObject, cur: KubeObject | undefined): Promise<KubeObject>;
  /** Runs a write of this kind, serialised with other writes of it where allocation needs that. */
  exclusive<R>(write: () => Promise<R>): Promise<R>;
  /** Runs before an object named `name` is deleted (refuse, or clean up what it holds). */
  beforeDelete(name: string): Promise<void>;
  /**
   * Seconds a node has to confirm this object stopped before it goes (graceful deletion), or
   * undefined when nothing is there to confirm and the object can go at once.
   */
  nodeGraceSeconds(obj: KubeObject): number | undefined;
}

/** A kind's own rules: the hooks it overrides; the rest come from {@link DEFAULT_STRATEGY}. */
export type KindRules = Partial<KindStrategy>;

/** The rules of a kind with no rules of its own: store what was validated, as it was sent. */
export const DEFAULT_STRATEGY: KindStrategy = {
  applyDefaults: (obj) => obj,
  statusOnCreate: () => undefined,
  prepareForUpdate: (_cur, body) => body,
  prepareMetadataForUpdate: (_cur, metadata) => metadata,
  validate: () => [],
  validateUpdate: () => [],
  admit: () => Promise.resolve(),
  allocate: (_key, obj) => Promise.resolve(obj),
  exclusive: (write) => write(),
  beforeDelete: () => Promise.resolve(),
  nodeGraceSeconds: () => undefined,
};

/** A complete strategy from a kind's own rules. */
export function strategyOf(rules: KindRules): KindStrategy {
  return { ...DEFAULT_STRATEGY, ...rules };
}

/** Picks the strategy of a kind (by `ResourceType.kind`). */
export type StrategyFor = (kind: string) => KindStrategy;
