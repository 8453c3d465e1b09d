/** Test helpers of edgectl: an in-memory hub double and a captured CliIO. Not for production code. */
export { startFakeHub, type FakeHub } from './fake-hub.js';
export { captureIO, type CapturedIO } from './io.js';
