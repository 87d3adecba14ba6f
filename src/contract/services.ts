/** The service catalog on the wire: `GET /api/v1/services`. */
import { z } from 'zod';

export const LIFECYCLES = ['experimental', 'production', 'deprecated'] as const;
export type Lifecycle = (typeof LIFECYCLES)[number];

export const serviceView = z.object({
  name: z.string(),
  description: z.string().nullable(),
  owner: z.string(),
  lifecycle: z.enum(LIFECYCLES),
  links: z.array(z.object({ title: z.string(), url: z.string() })),
  /** `metadata.labels` (what error-budget policy selectors match); `{}` when it has none. */
  labels: z.record(z.string(), z.string()),
  updatedAt: z.string(),
  updatedBy: z.string(),
});
export type ServiceView = z.infer<typeof serviceView>;

export const servicesQuery = z.object({
  owner: z.string().optional(),
  lifecycle: z.enum(LIFECYCLES).optional(),
});
export type ServicesQuery = z.infer<typeof servicesQuery>;

export const servicesResponse = z.object({ services: z.array(serviceView) });
export type ServicesResponse = z.infer<typeof servicesResponse>;
