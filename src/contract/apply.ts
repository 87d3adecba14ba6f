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
  scope: z.string(),
  name: z.string(),
  action: z.enum(APPLY_ACTIONS),
  file: z.string().optional(),
  diff: z.string().optional(),
});
export type ApplyResultView = z.infer<typeof applyResultView>;

export const applyResponse = z.object({ dryRun: z.boolean(), results: z.array(applyResultView) });
export type ApplyResponse = z.infer<typeof applyResponse>;
