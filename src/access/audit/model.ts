/** The audit trail as the API shows it, and the time bounds its readers filter by. */
import { z } from 'zod';
import { formatDurationAsWritten, MAX_DURATION_MS, parseDuration } from '../../contract/time.js';
import { InputError } from '../../platform/errors.js';
import type { AuditRecord } from './trail.js';

export const auditRecordView = z.object({
  seq: z.number(),
  at: z.string().describe('ISO time to the millisecond; the hash covers it as epoch milliseconds'),
  actor: z.string(),
  address: z.string().nullable(),
  action: z.string(),
  target: z.string(),
  summary: z.record(z.string(), z.unknown()),
  prevHash: z.string(),
  hash: z.string(),
});
export type AuditRecordView = z.infer<typeof auditRecordView>;

export function viewAuditRecord(record: AuditRecord): AuditRecordView {
  return {
    seq: record.seq,
    at: new Date(record.at).toISOString(),
    actor: record.actor,
    address: record.address,
    action: record.action,
    target: record.target,
    summary: record.summary,
    prevHash: record.prevHash,
    hash: record.hash,
  };
}

/** What `baton audit verify` found wrong, at the record where it was noticed. */
export interface ChainProblem {
  seq: number;
  problem: string;
}

export interface VerifyResult {
  ok: boolean;
  checked: number;
  firstSeq: number | null;
  lastSeq: number | null;
  /** The newest sequence number and hash; keep a copy elsewhere to detect a rewritten trail. */
  headSeq: number;
  headHash: string;
  problems: ChainProblem[];
}

/** A time bound: an ISO time, or a duration meaning that long ago (`7d`). */
export const timeBound = z
  .string()
  .optional()
  .describe('an ISO time, or a duration meaning that long ago (7d, 12h)');

/** Epoch milliseconds for a time bound, or undefined when absent. */
export function parseTimeBound(text: string | undefined, path: string, now: number): number | undefined {
  if (text === undefined || text === '') return undefined;
  const ago = parseDuration(text);
  if (ago !== undefined && ago > MAX_DURATION_MS) {
    throw new InputError(`invalid ${path}`, [
      {
        path,
        message: `at most ${formatDurationAsWritten(MAX_DURATION_MS)} ago, got ${text}`,
        expected: 'an ISO time for anything older',
      },
    ]);
  }
  if (ago !== undefined) return now - ago;
  const time = Date.parse(text);
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(time)) return time;
  throw new InputError(`invalid ${path}`, [
    {
      path,
      message: 'not a time',
      expected: 'an ISO time (2025-03-14T09:00:00Z) or a duration meaning ago (7d, 12h)',
      found: JSON.stringify(text),
    },
  ]);
}
