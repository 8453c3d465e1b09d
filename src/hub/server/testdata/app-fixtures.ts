/**
 * What the API app's route tests (`app-*.test.ts`) share: a fresh harness for every test (its clock at
 * 2025-01-01T00:00:00Z), the pod and deployment collection paths in `default`, and the manifests they post.
 */
import { afterEach, beforeEach } from 'vitest';
import { createHarness, type Harness } from './harness.js';

export const PODS = '/api/v1/namespaces/default/pods';
export const DEPLOYS = '/apis/apps/v1/namespaces/default/deployments';

export { deployment, pod } from '../../registry/testing/web-objects.js';

/**
 * Registers a `beforeEach` that creates a harness and an `afterEach` that closes it; returns a harness
 * that is, in every test, that test's own. Call at the top level of a test file.
 */
export function appHarness(): Harness {
  let h: Harness | undefined;
  beforeEach(async () => {
    h = await createHarness({ now: () => Date.parse('2025-01-01T00:00:00Z') });
  });
  afterEach(() => h?.close());
  const current = (): Harness => {
    if (!h) throw new Error('the harness is created in beforeEach');
    return h;
  };
  return {
    get app() {
      return current().app;
    },
    get store() {
      return current().store;
    },
    get api() {
      return current().api;
    },
    get auth() {
      return current().auth;
    },
    req: (...args) => current().req(...args),
    close: () => current().close(),
  };
}
