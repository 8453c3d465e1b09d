/**
 * Commands the fleet driver sends the harness process over the IPC channel of `fork`, and the
 * answers. Validated with zod on arrival, as any message crossing a process boundary.
 */
import { z } from 'zod';

const Tuning = z
  .object({
    startDelayMs: z.tuple([z.number().min(0), z.number().min(0)]),
    stopDelayMs: z.number().min(0),
    statusBatchMs: z.number().min(0),
    podCapacity: z.number().int().min(1),
  })
  .partial();

export const HarnessCommand = z.discriminatedUnion('cmd', [
  z.object({
    cmd: z.literal('init'),
    server: z.string().url(),
    /** Path of the hub's join token file (the secret is read there, never sent over IPC or argv). */
    tokenFile: z.string(),
    dataDir: z.string(),
    nodes: z.number().int().min(1).max(100_000),
    prefix: z
      .string()
      .regex(/^[a-z0-9-]{1,40}$/)
      .optional(),
    tuning: Tuning.optional(),
  }),
  z.object({
    cmd: z.literal('join'),
    concurrency: z.number().int().min(1).max(256).optional(),
    forceCsr: z.boolean().optional(),
  }),
  z.object({ cmd: z.literal('start'), rampMs: z.number().min(0).optional() }),
  z.object({ cmd: z.literal('kill') }),
  z.object({ cmd: z.literal('stats') }),
  z.object({ cmd: z.literal('progress') }),
  z.object({ cmd: z.literal('resetCounters') }),
  z.object({ cmd: z.literal('setReady'), ready: z.boolean().optional(), uid: z.string().optional() }),
  z.object({ cmd: z.literal('markAssignments') }),
  z.object({ cmd: z.literal('diffAssignments') }),
  z.object({ cmd: z.literal('dialReport') }),
  z.object({ cmd: z.literal('close') }),
]);
export type HarnessCommand = z.infer<typeof HarnessCommand>;

/** One request: a command with the id its answer carries. */
export const HarnessRequest = z.object({ id: z.number().int(), command: HarnessCommand });

/** The answer to request `id`: a result, or the error message. */
export type HarnessReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
