/** Progressive delivery: the `Canary` controller (Flagger's analysis over the nodes' request metrics). */
export { CanaryController, type CanaryControllerDeps } from './canary-controller.js';
export { namesOf, type CanaryNames } from './objects.js';
