/** The probe manager against a container with a real port: httpGet over real HTTP, tcpSocket as a real connect. */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WorkloadEndpoint } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { FakeRuntime } from '../testing/fake-runtime.js';
import { ProbeManager } from './probe-manager.js';
import { recorder, startProbedContainer } from './testing/probed-container.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'edge-node-probes-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Starts a container with `spec` on `rt`, its log in this test's directory. */
const runContainer = (rt: FakeRuntime, spec: Record<string, unknown>): ReturnType<typeof startProbedContainer> =>
  startProbedContainer(rt, spec, dir);

describe('probe manager', () => {
  describe('against a container with a real port (tcp endpoint)', () => {
    let server: Server;
    let port = 0;
    let seen: IncomingHttpHeaders[] = [];
    let status = 200;
    beforeEach(async () => {
      seen = [];
      server = createServer((req, res) => {
        seen.push(req.headers);
        res.statusCode = req.url === '/healthz' ? status : 404;
        res.end('x');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as AddressInfo).port;
    });
    afterEach(async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    });

    /** A runtime whose containers are reached over TCP at `target` (a real connection, real timers). */
    class TcpRuntime extends FakeRuntime {
      target = 0;
      override endpoint(): WorkloadEndpoint {
        return { kind: 'tcp', host: '127.0.0.1', port: this.target };
      }
    }

    it('sends httpGet over real HTTP and tcpSocket as a real connect', async () => {
      const rt = new TcpRuntime();
      rt.target = port;
      const realManager = new ProbeManager({ logger: silentLogger() });
      const attach = async (spec: Record<string, unknown>) => {
        const { id, container } = await runContainer(rt, spec);
        const rec = recorder();
        realManager.add(
          { runtime: rt, containerId: id, container, podIP: '127.0.0.1', startedAtMs: Date.now(), label: 'x' },
          rec.listener,
        );
        return rec.log;
      };
      try {
        const http = await attach({
          livenessProbe: {
            httpGet: { path: '/healthz', port: 8080, httpHeaders: [{ name: 'X-Check', value: '1' }] },
            failureThreshold: 1,
          },
        });
        const tcp = await attach({ readinessProbe: { tcpSocket: { port: 8080 } } });
        const until = async (f: () => boolean) => {
          for (let i = 0; i < 1500 && !f(); i++) await new Promise((r) => setTimeout(r, 10));
        };
        await until(() => seen.length > 0 && tcp.length > 0);
        expect(seen[0]).toMatchObject({ 'user-agent': 'kube-probe/edgeplane', 'x-check': '1' });
        expect(http).toEqual([]);
        expect(tcp).toEqual(['ready=true']);

        status = 500;
        const rt2 = new TcpRuntime();
        rt2.target = port;
        const { id, container } = await runContainer(rt2, {
          livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, failureThreshold: 1 },
        });
        const rec = recorder();
        realManager.add(
          { runtime: rt2, containerId: id, container, podIP: '127.0.0.1', startedAtMs: Date.now(), label: 'y' },
          rec.listener,
        );
        await until(() => rec.log.length >= 2);
        expect(rec.log).toEqual([
          'unhealthy liveness: HTTP probe failed with statuscode: 500',
          'failed liveness: HTTP probe failed with statuscode: 500',
        ]);

        rt2.target = 1; // nothing listens there
        const closed = await runContainer(rt2, { readinessProbe: { tcpSocket: { port: 8080 }, failureThreshold: 1 } });
        const rec2 = recorder();
        realManager.add(
          {
            runtime: rt2,
            containerId: closed.id,
            container: closed.container,
            podIP: '127.0.0.1',
            startedAtMs: Date.now(),
            label: 'z',
          },
          rec2.listener,
        );
        await until(() => rec2.log.length >= 1);
        expect(rec2.log[0]).toMatch(/^unhealthy readiness: dial tcp 127\.0\.0\.1:1: connect: .*ECONNREFUSED/);
      } finally {
        realManager.stop();
      }
    });
  });
});
