/** Bounded strings shared by the gateway protocol's schemas (`wire.ts`, `wire-config.ts`); not exported from the area. */
import { z } from 'zod';

/** Names as Kubernetes bounds them (a DNS subdomain: 253). */
export const NAME_MAX = 253;
export const Name = z.string().max(NAME_MAX);
export const Str = z.string().max(NAME_MAX);

/** A pod as the gateway names it. */
export const PodRef = z.strictObject({ namespace: Name, name: Name, uid: Str });
