/** The Deployment the controllers' tests scale and roll out, as a user applies it. Tests only. */
import type { Container, Deployment } from '../../../api/index.js';

/**
 * The Deployment `default/<name>` of `replicas` pods running `container`, which it labels, and selects
 * by, `app: <name>`.
 */
export function appDeployment(name: string, replicas: number, container: Container): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [container] } },
    },
  };
}
