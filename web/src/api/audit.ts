/** The audit trail API (admins only) as the UI reads it. */

export interface AuditRecord {
  seq: number;
  /** ISO time to the millisecond. */
  at: string;
  actor: string;
  /** The client's address, when the change came over HTTP. */
  address: string | null;
  /** `token.create`, `job.apply`, … */
  action: string;
  /** `token/12`, `job/ops/restart`, … */
  target: string;
  summary: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export interface AuditPage {
  records: AuditRecord[];
  /** The `before` of the next, older page; null on the last one. */
  next: number | null;
}

/** GET /api/v1/audit/verify: the hash chain walked from the first record to the newest. */
export interface AuditVerification {
  ok: boolean;
  checked: number;
  firstSeq: number | null;
  lastSeq: number | null;
  headSeq: number;
  headHash: string;
  problems: { seq: number; problem: string }[];
}
