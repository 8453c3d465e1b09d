/**
 * A streamed request body and retries, over real sockets: a body not yet consumed goes to the next
 * endpoint when the first cannot be reached.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceRoute } from '../../../api/index.js';
import { answerUndelivered } from '../balancing/balance-answer.js';
import type { EndpointPicker } from '../balancing/endpoint-picker.js';
import { ServiceBalancer } from '../balancing/service-balancer.js';
import type { LocalTargetLookup } from '../local-pods.js';
import { proxiedRequest } from './http-util.js';
import { PREFETCH_BYTES } from './request-body.js';
import { ServerResponseSink } from './response-sink.js';
import { MAX_BODY, freePort, send, startListenerRig, type ListenerRig } from './testing/listener-rig.js';

let rig: ListenerRig;
beforeAll(async () => {
  rig = await startListenerRig();
});
afterAll(() => rig.stop());

describe('a streamed body and retries', () => {
  it('sends a streamed body to the next endpoint when the first cannot be reached (none of it was consumed)', async () => {
    const dead = await freePort();
    const lookup: LocalTargetLookup = (_ns, name) => ({
      ok: true,
      runtime: {
        endpoint: () => ({ kind: 'tcp', host: '127.0.0.1', port: name === 'dead' ? dead : rig.upstreamPort }),
      },
      containerId: name,
      port: 8080,
    });
    const firstGiven: EndpointPicker = { pick: (_key, candidates) => candidates[0] };
    const balancer = new ServiceBalancer({
      nodeName: () => 'self',
      picker: firstGiven,
      local: lookup,
      deliverer: rig.deliverer,
    });
    const eps = ['dead', 'live'].map((name) => ({
      pod: { namespace: 'default', name, uid: name },
      nodeName: 'self',
      address: '127.0.0.1',
      meshPort: 1,
      ready: true,
    }));
    const svc: ServiceRoute = {
      namespace: 'default',
      name: 'retry',
      type: 'ClusterIP',
      sessionAffinity: 'None',
      ports: [{ port: 80, targetPort: 8080 }],
      endpoints: eps,
    };
    const route = { key: 'default/retry:80', service: svc, port: svc.ports[0]!, ready: eps };
    const front = createServer((req, res) => {
      const r = proxiedRequest(req, MAX_BODY);
      void balancer
        .deliver(route, r, new ServerResponseSink(res), { ctx: {} })
        .then((result) => answerUndelivered(res, 'default/retry', result));
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    try {
      const size = 4 * PREFETCH_BYTES; // streamed, not prefetched
      const a = await send((front.address() as AddressInfo).port, '/retry', 'r'.repeat(size));
      expect(a).toMatchObject({ status: 200, body: `container got ${size}` });
    } finally {
      front.closeAllConnections();
      await new Promise((r) => front.close(r));
    }
  });
});
