import { describe, expect, it } from 'vitest';
import { Pod, Probe } from '../../api/index.js';
import { describePod, describeProbe } from './describe-pod.js';

describe('describeProbe (kubectl format)', () => {
  it('prints each handler with the defaulted attributes', () => {
    expect(describeProbe(Probe.parse({ httpGet: { path: '/healthz', port: 8080 } }))).toBe(
      'http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3',
    );
    expect(
      describeProbe(
        Probe.parse({
          httpGet: { port: 'http', host: 'db.local', scheme: 'HTTPS' },
          initialDelaySeconds: 5,
          periodSeconds: 2,
        }),
      ),
    ).toBe('http-get https://db.local:http/ delay=5s timeout=1s period=2s #success=1 #failure=3');
    expect(describeProbe(Probe.parse({ tcpSocket: { port: 9000 }, timeoutSeconds: 3, failureThreshold: 30 }))).toBe(
      'tcp-socket :9000 delay=0s timeout=3s period=10s #success=1 #failure=30',
    );
    expect(describeProbe(Probe.parse({ exec: { command: ['check', '--fail'] }, successThreshold: 2 }))).toBe(
      'exec [check --fail] delay=0s timeout=1s period=10s #success=2 #failure=3',
    );
  });

  it('shows the probes of each container in describe pod, before its environment', () => {
    const pod = Pod.parse({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'default' },
      spec: {
        containers: [
          {
            name: 'web',
            image: 'web.wasm',
            livenessProbe: { httpGet: { path: '/healthz', port: 8080 } },
            readinessProbe: { tcpSocket: { port: 8080 } },
            startupProbe: { exec: { command: ['warm'] } },
            env: [{ name: 'A', value: '1' }],
          },
        ],
      },
    });
    const text = describePod(pod, [], Date.now());
    expect(text).toMatch(
      /\n {4}Liveness: +http-get http:\/\/:8080\/healthz delay=0s timeout=1s period=10s #success=1 #failure=3\n {4}Readiness: +tcp-socket :8080 .*\n {4}Startup: +exec \[warm\] .*\n {4}Environment:\n/,
    );
  });
});
