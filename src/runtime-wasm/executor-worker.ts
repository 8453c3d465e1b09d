/**
 * Entry point of an executor worker thread: holds guest instances and runs guest code, never on the
 * agent's main thread. Speaks the messages of executor-protocol.ts over `parentPort`.
 *
 * A worker can hold several instances (keyed by id) so a later issue can pool them; the runtime
 * currently starts one worker per container.
 */
import { parentPort } from 'node:worker_threads';
import { GuestInstance, InstanceEndedError } from './guest-instance.js';
import { loadWasiShim } from './wasi-shim.js';
import type { FromWorker, ToWorker } from './executor-protocol.js';

const port = parentPort;
if (!port) throw new Error('executor-worker must run in a worker thread');

const instances = new Map<string, GuestInstance>();

function send(msg: FromWorker): void {
  port!.postMessage(msg);
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

async function onMessage(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'instantiate': {
      const { instanceId } = msg.spec;
      try {
        const shim = await loadWasiShim();
        const instance = await GuestInstance.create(msg.spec, shim, (stream, data) => {
          send({ type: 'output', instanceId, stream, data });
        });
        instances.set(instanceId, instance);
        send({ type: 'instantiated', instanceId, exports: instance.exports });
      } catch (err) {
        send({ type: 'instantiate-failed', instanceId, message: messageOf(err) });
      }
      return;
    }
    case 'request': {
      const { instanceId, reqId } = msg;
      const instance = instances.get(instanceId);
      if (!instance) {
        send({ type: 'request-failed', instanceId, reqId, message: `no instance ${instanceId} in this executor` });
        return;
      }
      try {
        const response = await instance.handle(msg.request);
        send({ type: 'response', instanceId, reqId, response });
      } catch (err) {
        if (err instanceof InstanceEndedError) {
          instances.delete(instanceId);
          send({ type: 'request-failed', instanceId, reqId, message: err.message, end: err.end });
        } else {
          send({ type: 'request-failed', instanceId, reqId, message: messageOf(err) });
        }
      }
      return;
    }
    case 'run': {
      const instance = instances.get(msg.instanceId);
      const end = instance ? instance.run() : { kind: 'trap' as const, message: `no instance ${msg.instanceId} in this executor` };
      instances.delete(msg.instanceId);
      send({ type: 'run-finished', instanceId: msg.instanceId, end });
      return;
    }
  }
}

port.on('message', (msg: ToWorker) => {
  void onMessage(msg);
});
