/** An `ObjectAPI` over a real one with some calls replaced: a test's counting or fault-injecting view of a registry. */
import type { ObjectAPI } from '../types.js';

/** Every call goes to `api`, except those `overrides` replaces (which may still call `api`). */
export function delegatingApi(api: ObjectAPI, overrides: Partial<ObjectAPI>): ObjectAPI {
  return {
    create: (type, obj, opts) => api.create(type, obj, opts),
    get: (type, ns, name) => api.get(type, ns, name),
    list: (type, opts) => api.list(type, opts),
    update: (type, obj, opts) => api.update(type, obj, opts),
    updateStatus: (type, obj, opts) => api.updateStatus(type, obj, opts),
    delete: (type, ns, name, opts) => api.delete(type, ns, name, opts),
    watch: (type, opts, onEvent, onError) => api.watch(type, opts, onEvent, onError),
    ...overrides,
  };
}
