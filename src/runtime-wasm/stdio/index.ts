/** Streaming stdio of an exec (`kubectl exec -i`): shared memory between the main thread and an executor. */
export { StdioChannel } from './stdio-channel.js';
export { StdioPort, StdioCancelledError, type WaitHook } from './stdio-port.js';
export { OUTPUT_PIECE_BYTES, OUTPUT_WINDOW_BYTES, RING_BYTES } from './stdio-layout.js';
