/* PodRequests' choice of frame by the node's protocol: attach streams only to protocol-8 agents. */
import { describe, expect, it } from 'vitest';
import { ATTACH_PROTOCOL_VERSION, type HubToNode, type Pod } from '../../api/index.js';
import type { Informer } from '../informers/index.js';
import { PodRequests } from './pod-requests.js';
import type { NodeSession } from './session.js';

/** PodRequests over one pod bound to node `n1`, whose session speaks `protocol`; frames sent are kept. */
function requestsOn(protocol: number): { requests: PodRequests; sent: HubToNode[] } {
  const sent: HubToNode[] = [];
  const session = { protocol, send: (m: HubToNode) => sent.push(m) } as unknown as NodeSession;
  const pod = { spec: { nodeName: 'n1', containers: [] } } as unknown as Pod;
  const pods = { get: () => pod } as unknown as Informer<Pod>;
  return { requests: new PodRequests({ pods, sessionOf: () => session }), sent };
}

const handlers = { output: () => Promise.resolve(), end: () => undefined };
const attach = { attach: true, command: [], stdin: true, tty: true, container: 'main' };

describe('attach streams and the node protocol', () => {
  it('sends attachOpen (no command) to a node of protocol 8', () => {
    const { requests, sent } = requestsOn(ATTACH_PROTOCOL_VERSION);
    requests.openStream('default', 'p', attach, handlers);
    expect(sent).toEqual([
      {
        type: 'attachOpen',
        streamId: expect.any(String) as unknown,
        pod: { namespace: 'default', name: 'p' },
        container: 'main',
        stdin: true,
        tty: true,
      },
    ]);
  });

  it('refuses an older agent with a message naming the protocol it needs, sending it nothing', () => {
    const { requests, sent } = requestsOn(ATTACH_PROTOCOL_VERSION - 1);
    expect(() => requests.openStream('default', 'p', attach, handlers)).toThrow(
      `node "n1" speaks gateway protocol 7; attach with stdin or a tty needs protocol 8 (upgrade the agent)`,
    );
    expect(sent).toEqual([]);
    // Its exec streams are unchanged.
    requests.openStream('default', 'p', { command: ['sh'], stdin: true, tty: false }, handlers);
    expect(sent.map((m) => m.type)).toEqual(['streamOpen']);
  });
});
