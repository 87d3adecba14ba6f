/** An audit record, how it is shown over the API, and the time bounds its readers filter by. */
import type { AuditRecordView } from '../../contract/audit.js';
import { formatDurationAsWritten, MAX_DURATION_MS, parseDuration } from '../../contract/time.js';
import { InputError } from '../../platform/errors.js';

/** What was done; dotted names group related actions (`token.create`, `token.revoke`). */
export type AuditAction =
  | 'apply'
  | 'execution.run'
  | 'execution.cancel'
  | 'execution.approve'
  | 'execution.reject'
  | 'execution.approval-expired'
  | 'schedule.fire'
  | 'token.create'
  | 'token.revoke'
  | 'user.create'
  | 'user.update'
  | 'sign-in.success'
  | 'sign-in.failure'
  | 'sign-out'
  | 'secret.write'
  | 'secret.delete'
  | 'secret.use'
  | 'secret.rotate-key'
  | 'node.forget-host-key'
  | 'audit.prune'
  | 'budget.override'
  | 'slo.correction';

export interface AuditEntry {
  /** The name of who acted (`admin`, `alice`, `ci-bot`), or `baton` for the system itself. */
  actor: string;
  /** The network address the request came from, when it came over the network. */
  address?: string | undefined;
  action: AuditAction;
  /** What was acted on: `job/ops/restart`, `execution/42`, `secret/db/prod/password`, `token/7`. */
  target: string;
  /** A short, secret-free description of the change. */
  summary?: Record<string, unknown>;
}

export interface AuditRecord extends Required<Omit<AuditEntry, 'address'>> {
  seq: number;
  at: number;
  address: string | null;
  prevHash: string;
  hash: string;
}

// Executions and usage filter by the same time bounds; the schema is the contract's.
export { timeBound } from '../../contract/audit.js';

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
