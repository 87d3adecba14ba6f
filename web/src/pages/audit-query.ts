/** The Audit page's filters, from the URL to the API, and how a record's summary reads. Pure. */
import { withQuery } from '../api/client';
import { apiTimeBound } from '../components/time-bound';

export const AUDIT_PAGE_SIZE = 100;

export interface AuditFilters {
  actor: string;
  /** An action (`token.create`) or a group of them (`token`). */
  action: string;
  /** Targets starting with this: `job/ops/`. */
  target: string;
  since: string;
  until: string;
  before: string | undefined;
}

/** The filters a URL names. */
export function readAuditFilters(params: URLSearchParams): AuditFilters {
  return {
    actor: params.get('actor') ?? '',
    action: params.get('action') ?? '',
    target: params.get('target') ?? '',
    since: params.get('since') ?? '',
    until: params.get('until') ?? '',
    before: params.get('before') || undefined,
  };
}

const ACTION = /^[a-z][a-z.-]*$/;

/** What is wrong with an action filter as typed, or null; the API takes the same form. */
export function actionProblem(text: string): string | null {
  return text.trim() === '' || ACTION.test(text.trim())
    ? null
    : 'an action (token.create) or a group (token): lowercase letters, dots and dashes';
}

/** The query of GET /api/v1/audit; an action the API would refuse is left out and flagged on the field instead. */
export function auditApiQuery(filters: AuditFilters, limit = AUDIT_PAGE_SIZE) {
  return {
    actor: filters.actor.trim() || undefined,
    action: actionProblem(filters.action) === null ? filters.action.trim() || undefined : undefined,
    target: filters.target.trim() || undefined,
    since: apiTimeBound(filters.since),
    until: apiTimeBound(filters.until),
    before: filters.before,
    limit,
  };
}

/** Identifies the filters without the page cursor. */
export function auditFiltersKey(filters: AuditFilters): string {
  const { before: _before, ...rest } = filters;
  return JSON.stringify(rest);
}

/** The export of the records in the time range (the export endpoint filters by time only). */
export function auditExportHref(filters: Pick<AuditFilters, 'since' | 'until'>): string {
  return withQuery('/api/v1/audit/export', {
    since: apiTimeBound(filters.since),
    until: apiTimeBound(filters.until),
  });
}

/**
 * A record's summary as `key: value` pairs: strings as they are, lists of plain values joined
 * with commas, anything else as compact JSON.
 */
export function summaryEntries(summary: Record<string, unknown>): [string, string][] {
  return Object.entries(summary).map(([key, value]) => [key, summaryValue(value)]);
}

function summaryValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((item) => item === null || typeof item !== 'object')) {
    return value.map(String).join(', ');
  }
  return JSON.stringify(value) ?? String(value);
}
