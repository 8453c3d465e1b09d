/** Services: defaulted spec and ports, node-port rules, and node ports allocated cluster-wide. */
import type { Service, ServiceSpec } from '../../../api/index.js';
import { InvalidError } from '../../../api/index.js';
import { serviceCauses } from '../checks.js';
import { defaultServiceSpec } from '../defaults.js';
import { NodePortAllocator } from '../node-ports.js';
import type { KindRules, StrategyDeps } from './strategy.js';

/** The rules of `v1 Service`. */
export function serviceStrategy(deps: StrategyDeps): KindRules {
  const nodePorts = new NodePortAllocator(deps.store, deps.random);
  return {
    applyDefaults: (obj) => (obj.spec ? { ...obj, spec: defaultServiceSpec(obj.spec as ServiceSpec) } : obj),
    validate: (obj) => serviceCauses(obj.spec as ServiceSpec),
    // Node ports: requested ones checked for collisions, missing ones kept from `cur` or allocated.
    allocate: async (key, obj, cur) => {
      const { service, causes } = await nodePorts.assign(key, obj as Service, cur as Service | undefined);
      if (causes.length > 0) throw new InvalidError(obj.kind, obj.metadata.name ?? '', causes);
      return service;
    },
    // Service writes are serialised: two creates must not pick the same free node port.
    exclusive: (write) => nodePorts.exclusive(write),
  };
}
