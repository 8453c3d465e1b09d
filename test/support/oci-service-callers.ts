/**
 * Containers calling a Wasm Service the two ways a node's local proxy offers, for the OCI end-to-end
 * tests: by the Kubernetes-style env vars (`$HELLO_SERVICE_HOST:$HELLO_SERVICE_PORT`, bypassing the
 * proxy) and by name through `http_proxy` (`wget http://hello/`); then an external host through the
 * proxy (the registry, which answers 401 to whoever reaches it) and a host no pod may call. Each
 * caller prints one line per result; `callerReport` reads them back from its log.
 */
import { join } from 'node:path';
import { type Cluster, ROOT, until } from './cluster.js';

export const ALLOWED_OUTGOING_HOSTS_ANNOTATION = 'edgeplane.io/allowed-outgoing-hosts';

/** The hello Wasm component, one replica pinned to `node`. */
export function helloDeployment(node: string): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'hello' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'hello' } },
      template: {
        metadata: { labels: { app: 'hello' } },
        spec: {
          runtimeClassName: 'wasm',
          nodeSelector: { 'kubernetes.io/hostname': node },
          containers: [
            {
              name: 'hello',
              image: join(ROOT, 'examples/wasm-apps/hello/dist/hello.wasm'),
              ports: [{ containerPort: 8080 }],
              env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
            },
          ],
        },
      },
    },
  };
}

/** hello's ClusterIP Service: no nodePort, reachable from pods only. */
export function helloService(): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'hello' },
    spec: { selector: { app: 'hello' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  };
}

/** The caller's script: `REGISTRY` is the external host it tries through the proxy. */
function script(registry: string): string {
  return [
    'echo "VARS HELLO_SERVICE_HOST=$HELLO_SERVICE_HOST HELLO_SERVICE_PORT=$HELLO_SERVICE_PORT HELLO_PORT_80_TCP=$HELLO_PORT_80_TCP http_proxy=$http_proxy"',
    // busybox wget ignores no_proxy: -Y off makes the env-var call go to the Service listener itself.
    'until byenv=$(wget -Y off -q -O - "http://$HELLO_SERVICE_HOST:$HELLO_SERVICE_PORT/") && byname=$(wget -q -O - http://hello/); do sleep 0.5; done',
    'echo "BYENV $byenv"',
    'echo "BYNAME $byname"',
    `echo "EXTERNAL $(wget -q -O - http://${registry}/v2/ 2>&1)"`,
    // The proxy's refusal in full (wget shows only the status line).
    'p=${http_proxy#http://}',
    `echo "DENIED $(printf 'GET http://nobody.example.com/ HTTP/1.0\\r\\n\\r\\n' | busybox nc \${p%:*} \${p##*:} | tr '\\r\\n' '  ')"`,
    'echo DONE',
    'exec sleep 3600',
  ].join('\n');
}

/** A busybox pod on `node` running the caller script. */
export function callerPod(
  name: string,
  node: string,
  image: string,
  registry: string,
  annotations?: Record<string, string>,
): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: name }, ...(annotations ? { annotations } : {}) },
    spec: {
      runtimeClassName: 'oci',
      terminationGracePeriodSeconds: 1,
      nodeSelector: { 'kubernetes.io/hostname': node },
      containers: [{ name: 'c', image, command: ['sh', '-c', script(registry)] }],
    },
  };
}

/** What a caller printed. */
export interface CallerReport {
  vars: Record<string, string>;
  /** hello's answers (JSON), by env vars and by name. */
  byEnv: unknown;
  byName: unknown;
  /** wget's outcome for the registry through the proxy. */
  external: string;
  /** The proxy's raw answer for a host nobody may call. */
  denied: string;
}

/** Waits for caller `name` to finish its calls and reads its report from its log. */
export async function callerReport(cluster: Cluster, name: string, timeoutMs = 60_000): Promise<CallerReport> {
  let last = '';
  const logs = await until(
    `caller ${name} to report`,
    async () => {
      const l = await cluster.edgectl(['logs', name]);
      last = l.stdout;
      return /^DONE$/m.test(l.stdout) ? l.stdout : undefined;
    },
    timeoutMs,
    500,
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}; its log so far:\n${last}`);
  });
  const line = (tag: string): string =>
    logs
      .split('\n')
      .find((l) => l.startsWith(`${tag} `))
      ?.slice(tag.length + 1) ?? '';
  const vars = Object.fromEntries(
    line('VARS')
      .split(' ')
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
  return {
    vars,
    byEnv: JSON.parse(line('BYENV')),
    byName: JSON.parse(line('BYNAME')),
    external: line('EXTERNAL'),
    denied: line('DENIED'),
  };
}
