/** Test helpers of edgectl: a captured CliIO. Not for production code (the hub to test against is `hub/testing`). */
export { captureIO, type CapturedIO } from './io.js';
