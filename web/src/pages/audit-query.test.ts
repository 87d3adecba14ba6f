import { describe, expect, it } from 'vitest';
import {
  actionProblem,
  auditApiQuery,
  auditExportHref,
  readAuditFilters,
  summaryEntries,
} from './audit-query';

const filtersOf = (query: string) => readAuditFilters(new URLSearchParams(query));

describe('Audit filters', () => {
  it('asks the API with the filters of the URL, the target as a prefix', () => {
    expect(auditApiQuery(filtersOf('actor=alice&action=token&target=job/ops/&since=7d&before=40'))).toEqual({
      actor: 'alice',
      action: 'token',
      target: 'job/ops/',
      since: '7d',
      until: undefined,
      before: '40',
      limit: 100,
    });
  });

  it('flags an action the API would refuse and leaves it out of the query', () => {
    expect(actionProblem('Token Create')).toMatch(/token\.create/);
    expect(actionProblem('job.apply')).toBeNull();
    expect(auditApiQuery(filtersOf('action=Token%20Create')).action).toBeUndefined();
  });

  it('exports the time range only (the export takes no other filter)', () => {
    expect(auditExportHref(filtersOf('actor=alice&since=30d'))).toBe('/api/v1/audit/export?since=30d');
    expect(auditExportHref(filtersOf(''))).toBe('/api/v1/audit/export');
  });

  it('shows a summary as key and value, objects as JSON', () => {
    expect(
      summaryEntries({
        job: 'ops/restart',
        revision: 3,
        changes: ['job/ops/a created', 'job/ops/b updated'],
        options: { env: 'prod', force: true },
      }),
    ).toEqual([
      ['job', 'ops/restart'],
      ['revision', '3'],
      ['changes', 'job/ops/a created, job/ops/b updated'],
      ['options', '{"env":"prod","force":true}'],
    ]);
  });
});
