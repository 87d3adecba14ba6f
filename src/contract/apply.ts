/** `POST /api/v1/apply` on the wire: the files sent, and what each document did (with its diff). */
import { z } from 'zod';

export const applyRequest = z.strictObject({
  files: z
    .array(z.strictObject({ name: z.string().min(1).max(1024), content: z.string() }))
    .min(1)
    .describe('YAML or JSON files, each with the name to show in errors'),
  dryRun: z.boolean().default(false),
  prune: z.boolean().default(false),
});
/** The body as parsed (defaults filled in); a client may leave dryRun and prune out. */
export type ApplyRequest = z.infer<typeof applyRequest>;

export const APPLY_ACTIONS = ['created', 'updated', 'unchanged', 'deleted'] as const;
export type ApplyAction = (typeof APPLY_ACTIONS)[number];

export const applyResultView = z.object({
  kind: z.string(),
  /** Present for documents of another apiVersion than baton/v1 (openslo/v1, prometheus/v1). */
  apiVersion: z.string().optional(),
  scope: z.string(),
  name: z.string(),
  action: z.enum(APPLY_ACTIONS),
  file: z.string().optional(),
  diff: z.string().optional(),
});
export type ApplyResultView = z.infer<typeof applyResultView>;

/** Something accepted but worth saying (e.g. `op` on an OpenSLO ratio metric, a query not checked). */
export const applyWarningView = z.object({
  file: z.string(),
  line: z.number().int(),
  column: z.number().int(),
  path: z.string().optional(),
  message: z.string(),
  expected: z.string().optional(),
});
export type ApplyWarningView = z.infer<typeof applyWarningView>;

export const applyResponse = z.object({
  dryRun: z.boolean(),
  results: z.array(applyResultView),
  /** Said on dry runs too; an apply with warnings still applies. */
  warnings: z.array(applyWarningView),
});
export type ApplyResponse = z.infer<typeof applyResponse>;
