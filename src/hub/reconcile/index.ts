/**
 * The reconcile kit: what every controller and the scheduler are built from — a work queue with an
 * injected clock that drains on stop, a controller base wiring informers to it, a periodic-sweep
 * skeleton, the event recorder, condition helpers and JSON comparison for status writes.
 */
export { WorkQueue, type WorkQueueOptions } from './workqueue.js';
export { Controller, type ControllerOptions, type EnqueueOn } from './controller.js';
export { PeriodicSweep, type PeriodicSweepOptions } from './periodic.js';
export { EventRecorder, type EventRecorderDeps } from './events.js';
export { DEFAULT_EVENT_RATE, EventRateLimit, TokenBucket, checkEventRate, type EventRate } from './event-rate.js';
export { findCondition, setCondition } from './conditions.js';
export { canonical, jsonEqual } from './json.js';
export { controllerRef, ownerRefTo } from './owners.js';
export { BurstLimit, deleteAndObserve, throwIfFailed, writeAll, writeStatus } from './writes.js';
export { WritePacer } from './write-pacer.js';
