/** Containers to probe in the probe manager's tests, and a listener that records what it hears. */
import path from 'node:path';
import { Container } from '../../../api/index.js';
import type { FakeRuntime } from '../../testing/fake-runtime.js';
import type { ProbeListener } from '../probe-manager.js';

let seq = 0;

/** Starts a container with `spec` (probes defaulted by the API schema) on `rt`, its log in `logDir`; returns its id. */
export async function startProbedContainer(
  rt: FakeRuntime,
  spec: Record<string, unknown>,
  logDir: string,
): Promise<{ id: string; container: Container }> {
  const container = Container.parse({
    name: 'main',
    image: 'x.wasm',
    ports: [{ name: 'http', containerPort: 8080 }],
    ...spec,
  });
  const id = `c${++seq}`;
  await rt.createContainer({
    id,
    pod: { namespace: 'default', name: 'p', uid: 'u' },
    name: 'main',
    image: { ref: 'x.wasm', digest: 'sha256:0', sizeBytes: 1 },
    command: [],
    args: [],
    env: {},
    ports: [8080],
    limits: {},
    logPath: path.join(logDir, `${id}.log`),
  });
  await rt.startContainer(id);
  return { id, container };
}

/** A listener that writes what it hears as lines. */
export function recorder(): { log: string[]; listener: ProbeListener } {
  const log: string[] = [];
  return {
    log,
    listener: {
      readiness: (r) => log.push(`ready=${r}`),
      started: () => log.push('started'),
      failed: (t, m) => log.push(`failed ${t}: ${m}`),
      unhealthy: (t, m) => log.push(`unhealthy ${t}: ${m}`),
    },
  };
}
