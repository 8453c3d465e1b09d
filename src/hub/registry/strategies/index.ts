/** Per-kind registry strategies, chosen by kind; a kind without rules of its own gets the defaults. */
import { configMapStrategy, secretStrategy } from './config.js';
import { gatewayClassStrategy, gatewayStrategy, httpRouteStrategy } from './gateway.js';
import { hpaStrategy } from './hpa.js';
import { namespaceStrategy } from './namespace.js';
import { nodeStrategy } from './node.js';
import { podStrategy } from './pod.js';
import { rbacStrategies } from './rbac.js';
import { tokenStrategy } from './token.js';
import { serviceStrategy } from './service.js';
import { DEFAULT_STRATEGY, strategyOf, type KindStrategy, type StrategyDeps, type StrategyFor } from './strategy.js';
import { daemonSetStrategy, deploymentStrategy, jobStrategy, replicaSetStrategy } from './workloads.js';

export {
  DEFAULT_STRATEGY,
  strategyOf,
  type KindRules,
  type KindStrategy,
  type StrategyDeps,
  type StrategyFor,
} from './strategy.js';
export { ensureNamespace } from './namespace.js';

/** The strategies of every kind with rules of its own, over `deps` (one set per registry). */
export function createStrategies(deps: StrategyDeps): StrategyFor {
  const byKind = new Map<string, KindStrategy>();
  const strategyFor: StrategyFor = (kind) => byKind.get(kind) ?? DEFAULT_STRATEGY;
  const rules = {
    Pod: podStrategy(deps),
    Service: serviceStrategy(deps),
    Node: nodeStrategy,
    Namespace: namespaceStrategy(deps, strategyFor),
    ReplicaSet: replicaSetStrategy,
    Deployment: deploymentStrategy,
    DaemonSet: daemonSetStrategy,
    Job: jobStrategy,
    HorizontalPodAutoscaler: hpaStrategy,
    GatewayClass: gatewayClassStrategy,
    Gateway: gatewayStrategy,
    HTTPRoute: httpRouteStrategy,
    ...rbacStrategies,
    Token: tokenStrategy,
    ConfigMap: configMapStrategy,
    Secret: secretStrategy,
  };
  for (const [kind, r] of Object.entries(rules)) byKind.set(kind, strategyOf(r));
  return strategyFor;
}
