/**
 * Progressive delivery (`flagger.app/v1beta1`): `Canary`, the supported subset of Flagger's shape (see
 * docs/routing.md), so that a Flagger manifest within it applies unchanged. A field outside the subset
 * (webhooks, custom metric queries, session affinity, mirroring, an Istio-only option) is refused with
 * its path named, never dropped. The analysis reads the nodes' own request metrics; traffic moves
 * through an HTTPRoute the canary controller owns.
 */
import { z } from 'zod';
import { Seconds } from './duration.js';
import { CANARY_GROUP } from './kinds.js';
import { GatewayDuration, Hostname, ParentReference } from './gateway.js';
import { Condition, DnsLabel, DnsSubdomain, objectShape } from './meta.js';

/** The API group of `Canary` (declared with the kinds' names, which load no zod). */
export { CANARY_GROUP };

/** The built-in metrics a canary analysis may name. */
export const CANARY_BUILTIN_METRICS = ['request-success-rate', 'request-duration'] as const;
export type CanaryBuiltinMetric = (typeof CANARY_BUILTIN_METRICS)[number];

/** Flagger's phases, in the order a promotion goes through them. */
export const CANARY_PHASES = [
  'Initializing',
  'Initialized',
  'Waiting',
  'Progressing',
  'WaitingPromotion',
  'Promoting',
  'Finalising',
  'Succeeded',
  'Failed',
] as const;
export type CanaryPhase = (typeof CANARY_PHASES)[number];

/**
 * Manual control (`edgectl canary promote|abort`): an annotation on the Canary naming the revision
 * (`status.lastAppliedSpec`) it applies to. The controller acts on it while that revision is under
 * analysis; a later revision ignores it, so a stale request never touches the next rollout.
 * Promote skips the rest of the analysis and promotes now; abort rolls back now.
 */
export const CANARY_PROMOTE_ANNOTATION = 'canary.edgeplane.io/promote';
/** See {@link CANARY_PROMOTE_ANNOTATION}: the revision to roll back now. */
export const CANARY_ABORT_ANNOTATION = 'canary.edgeplane.io/abort';

const Weight = z.number().int().min(0).max(100);

/**
 * Why Flagger's KEDA flavour of `autoscalerRef` (a `keda.sh` ScaledObject, `primaryScalerQueries`) is
 * refused: there is no KEDA here, and the built-in HPA already scales on the nodes' request metrics.
 */
const NO_KEDA = 'Edgeplane runs no KEDA; an autoscalerRef is an autoscaling/v2 HorizontalPodAutoscaler';

export const CanaryMetric = z.strictObject({
  name: z.enum(CANARY_BUILTIN_METRICS, {
    message: 'only the built-in metrics request-success-rate and request-duration are served',
  }),
  interval: GatewayDuration.optional().describe(
    "The window the metric is read over (default: the analysis' interval).",
  ),
  thresholdRange: z
    .strictObject({ min: z.number().optional(), max: z.number().optional() })
    .refine((r) => r.min !== undefined || r.max !== undefined, { message: 'needs min, max or both' })
    .describe('The range a check must fall in: success rate in percent, duration in milliseconds.'),
});
export type CanaryMetric = z.infer<typeof CanaryMetric>;

export const CanaryAnalysis = z
  .strictObject({
    interval: GatewayDuration.optional().describe('Time between two checks (default 1m).'),
    threshold: z.number().int().min(1).max(1000).optional().describe('Failed checks that roll back (default 1).'),
    maxWeight: Weight.min(1).optional().describe('Canary weight (percent) that promotes (default 100).'),
    stepWeight: Weight.min(1).optional().describe('Weight added at each successful check.'),
    stepWeights: z.array(Weight.min(1)).min(1).max(100).optional().describe('The weights in turn; the last promotes.'),
    iterations: z.number().int().min(1).max(10_000).optional().describe('Blue-green: checks before the switch.'),
    metrics: z.array(CanaryMetric).max(16).optional(),
  })
  .superRefine((a, ctx) => {
    const issue = (path: string, message: string): void => ctx.addIssue({ code: 'custom', path: [path], message });
    const weighted = a.stepWeight !== undefined || a.stepWeights !== undefined;
    if (a.stepWeight !== undefined && a.stepWeights !== undefined)
      issue('stepWeights', 'give stepWeight or stepWeights, not both');
    if (a.iterations !== undefined && weighted)
      issue('iterations', 'iterations (blue-green) takes no stepWeight or stepWeights');
    if (a.iterations === undefined && !weighted)
      issue('stepWeight', 'a canary needs stepWeight or stepWeights, a blue-green analysis iterations');
    if (a.stepWeights !== undefined && a.maxWeight !== undefined)
      issue('maxWeight', 'not used with stepWeights: the last step is the largest weight');
    if (a.stepWeights?.some((w, i) => i > 0 && w <= (a.stepWeights?.[i - 1] ?? 0)))
      issue('stepWeights', 'must rise step by step');
  });
export type CanaryAnalysis = z.infer<typeof CanaryAnalysis>;

export const CanaryService = z.strictObject({
  name: DnsLabel.optional().describe("The apex Service's name (default: the target's)."),
  port: z.number().int().min(1).max(65535),
  portName: z.string().max(15).optional(),
  targetPort: z
    .union([z.number().int().min(1).max(65535), z.string().min(1).max(15)])
    .optional()
    .describe("The pods' port (default: port)."),
  timeout: GatewayDuration.optional().describe("The route's request timeout."),
  gatewayRefs: z.array(ParentReference).max(16).optional().describe('Gateways the route attaches to besides the mesh.'),
  gateways: z
    .array(z.string().min(1).max(253))
    .max(16)
    .optional()
    .describe('Gateways by `name` or `namespace/name` (Istio spelling); `mesh` is the mesh, always routed.'),
  hosts: z.array(Hostname).max(16).optional().describe("The route's hostnames at the Gateways."),
});
export type CanaryService = z.infer<typeof CanaryService>;

export const CanarySpec = z.strictObject({
  provider: z
    .enum(['gatewayapi', 'gatewayapi:v1', 'gatewayapi:v1beta1', 'kubernetes'], {
      message: 'the routes are the Gateway API ones built in: gatewayapi (or kubernetes), no other provider',
    })
    .optional(),
  targetRef: z.strictObject({
    apiVersion: z.literal('apps/v1').optional(),
    kind: z.literal('Deployment', { message: 'only a Deployment is a canary target' }),
    name: DnsSubdomain,
  }),
  progressDeadlineSeconds: Seconds(1).optional().describe('How long the canary may take to become ready (600).'),
  skipAnalysis: z.boolean().optional().describe('Promote a new revision without analysis.'),
  suspend: z.boolean().optional().describe('Stop reconciling (and advancing) this canary.'),
  service: CanaryService,
  analysis: CanaryAnalysis,
  autoscalerRef: z
    .strictObject({
      apiVersion: z.literal('autoscaling/v2', { message: `must be autoscaling/v2: ${NO_KEDA}` }).optional(),
      kind: z.literal('HorizontalPodAutoscaler', {
        message: `must be HorizontalPodAutoscaler (a KEDA ScaledObject is not served): ${NO_KEDA}`,
      }),
      name: DnsSubdomain,
      primaryScalerReplicas: z
        .strictObject({
          minReplicas: z.number().int().min(1).optional(),
          maxReplicas: z.number().int().min(1).optional(),
        })
        .optional()
        .describe("The primary HPA's bounds, when they differ from the target HPA's."),
      // Declared only to be refused with the reason (an undeclared field would say "unknown field").
      primaryScalerQueries: z
        .record(z.string(), z.string())
        .optional()
        .describe("Refused: Flagger's KEDA ScaledObject trigger queries for the primary; Edgeplane runs no KEDA."),
    })
    .superRefine((ref, ctx) => {
      if (ref.primaryScalerQueries !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['primaryScalerQueries'],
          message: `not supported (KEDA ScaledObject trigger queries): ${NO_KEDA}, mirrored onto the primary with its own metrics`,
        });
    })
    .optional()
    .describe(
      'An HPA of the target: mirrored as `<name>-primary` onto the primary, whose spec follows it at each promotion.',
    ),
});
export type CanarySpec = z.infer<typeof CanarySpec>;

export const CanaryStatus = z.strictObject({
  phase: z.enum(CANARY_PHASES).optional(),
  canaryWeight: Weight.optional(),
  failedChecks: z.number().int().nonnegative().optional(),
  iterations: z.number().int().nonnegative().optional(),
  /** Hash of the target's pod template under analysis (or analysed last). */
  lastAppliedSpec: z.string().optional(),
  /** Hash of the pod template the primary runs. */
  lastPromotedSpec: z.string().optional(),
  lastTransitionTime: z.string().optional(),
  observedGeneration: z.number().int().optional(),
  conditions: z.array(Condition).optional(),
});
export type CanaryStatus = z.infer<typeof CanaryStatus>;

export const Canary = z
  .strictObject({
    ...objectShape(`${CANARY_GROUP}/v1beta1`, 'Canary'),
    spec: CanarySpec.describe('The target, its Services and the analysis that promotes or rolls back its changes.'),
    status: CanaryStatus.optional(),
  })
  .describe(
    'Canary runs a new revision of a Deployment beside its primary, shifts traffic step by step and promotes or rolls back by the measured request metrics.',
  );
export type Canary = z.infer<typeof Canary>;
