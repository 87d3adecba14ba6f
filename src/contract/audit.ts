/** The audit trail as the API shows it (administrators only): records, the chain check, the filters. */
import { z } from 'zod';

export const auditRecordView = z.object({
  seq: z.number(),
  at: z.string().describe('ISO time to the millisecond; the hash covers it as epoch milliseconds'),
  actor: z.string(),
  // The client's address, when the change came over HTTP.
  address: z.string().nullable(),
  // `token.create`, `job.apply`, …
  action: z.string(),
  // `token/12`, `job/ops/restart`, …
  target: z.string(),
  summary: z.record(z.string(), z.unknown()),
  prevHash: z.string(),
  hash: z.string(),
});
export type AuditRecordView = z.infer<typeof auditRecordView>;

/** A time bound: an ISO time, or a duration meaning that long ago (`7d`). */
export const timeBound = z
  .string()
  .optional()
  .describe('an ISO time, or a duration meaning that long ago (7d, 12h)');

/** `GET /api/v1/audit`. */
export const auditQuery = z.object({
  actor: z.string().min(1).optional(),
  action: z
    .string()
    .regex(/^[a-z][a-z.-]*$/, 'must be an action (token.create) or a group (token)')
    .optional(),
  target: z.string().min(1).optional().describe('targets starting with this: token/, job/ops/'),
  since: timeBound,
  until: timeBound,
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type AuditQuery = z.input<typeof auditQuery>;

/** `GET /api/v1/audit`: newest first; `next` is the `before` of the next, older page (null on the last). */
export const auditRecordsResponse = z.object({
  records: z.array(auditRecordView),
  next: z.number().nullable(),
});
export type AuditRecordsResponse = z.infer<typeof auditRecordsResponse>;

/** What the chain check found wrong, at the record where it was noticed. */
export const chainProblemView = z.object({ seq: z.number(), problem: z.string() });
export type ChainProblemView = z.infer<typeof chainProblemView>;

/** `GET /api/v1/audit/verify`: the hash chain walked from the first record to the newest. */
export const auditVerifyResponse = z.object({
  ok: z.boolean(),
  checked: z.number(),
  firstSeq: z.number().nullable(),
  lastSeq: z.number().nullable(),
  // The newest sequence number and hash; keep a copy elsewhere to detect a rewritten trail.
  headSeq: z.number(),
  headHash: z.string(),
  problems: z.array(chainProblemView),
});
export type AuditVerifyResponse = z.infer<typeof auditVerifyResponse>;

/** `GET /api/v1/audit/export`. */
export const auditExportQuery = z.object({ since: timeBound, until: timeBound });
export type AuditExportQuery = z.infer<typeof auditExportQuery>;
