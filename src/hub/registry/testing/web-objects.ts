/**
 * What the registry's tests (`object-registry*.test.ts`) and the API app's (`server/app-*.test.ts`) write: the
 * app `web`'s pods and Deployment. Tests only.
 */

/** A pod manifest `name` of the app `web` (in the default namespace); `extra` adds to or replaces its spec. */
export const pod = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'web' } },
  spec: { containers: [{ name: 'main', image: 'hello.wasm' }], ...extra },
});

/** The Deployment manifest `web` (in the default namespace) of `replicas` pods. */
export const deployment = (replicas = 2) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image: 'hello.wasm' }] } },
  },
});
