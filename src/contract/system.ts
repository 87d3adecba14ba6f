/** `GET /healthz` on the wire: what probes read. */
import { z } from 'zod';

export const healthResponse = z.object({ status: z.literal('ok') });
export type HealthResponse = z.infer<typeof healthResponse>;

export const unhealthyResponse = z.object({ status: z.literal('unavailable'), reason: z.string() });
export type UnhealthyResponse = z.infer<typeof unhealthyResponse>;
