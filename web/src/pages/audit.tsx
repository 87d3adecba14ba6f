/**
 * The audit trail, for administrators: every change, who made it and from where, filterable; the
 * hash chain checked on demand; an export to keep elsewhere. Anyone else is told it is for admins.
 */
import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { ApiError, get } from '../api/client';
import type { AuditRecordsResponse, AuditVerifyResponse } from '../../../src/contract/audit.js';
import { Empty, ErrorMessage, Loading, PageHeader } from '../components/common';
import { CursorTrail, type Cursor } from '../components/cursor-trail';
import { Pager } from '../components/pager';
import { describeTimeRange, fieldOfProblem } from '../components/time-bound';
import { TimeRange } from '../components/time-range';
import { formatAgo, formatCount, formatTime } from '../format';
import { useUrlFilters } from '../url-state';
import {
  actionProblem,
  auditApiQuery,
  auditExportHref,
  auditFiltersKey,
  readAuditFilters,
  summaryEntries,
} from './audit-query';
import '../components/lists.css';
import './audit.css';

const trail = new CursorTrail();

export default function AuditPage() {
  const [params, setParams] = useUrlFilters();
  const filters = readAuditFilters(params);
  const query = auditApiQuery(filters);
  const records = useQuery({
    queryKey: ['audit', query],
    queryFn: ({ signal }) => get<AuditRecordsResponse>('/api/v1/audit', query, signal),
    placeholderData: (previous) => previous,
  });

  if (records.error instanceof ApiError && records.error.status === 403) {
    return (
      <>
        <PageHeader title="Audit trail" />
        <p className="error" role="alert">
          The audit trail is for admins only.
        </p>
      </>
    );
  }

  // Nothing of the page (filters, verify, export) until the server has said the caller is an admin.
  if (records.isPending) {
    return (
      <>
        <PageHeader title="Audit trail" />
        <Loading what="Loading the audit trail" />
      </>
    );
  }

  const setFilter = (changes: Record<string, string | undefined>) =>
    setParams({ ...changes, before: undefined });
  const goToPage = (cursor: Cursor) => setParams({ before: cursor }, { push: true });
  const refused =
    records.error instanceof ApiError && records.error.status === 400
      ? Object.fromEntries(
          records.error.problems.map((problem) => [fieldOfProblem(problem.path ?? ''), problem.message]),
        )
      : {};
  const badAction = actionProblem(filters.action);
  const shown = records.data?.records ?? [];
  const filtered = Boolean(
    filters.actor || filters.action || filters.target || filters.since || filters.until,
  );

  return (
    <>
      <PageHeader title="Audit trail">
        <a className="button" href={auditExportHref(filters)} download="baton-audit.ndjson">
          Export {filters.since || filters.until ? 'this time range' : 'everything'} (JSON lines)
        </a>
      </PageHeader>
      <ChainCheck />
      <form className="filters" role="search" onSubmit={(event) => event.preventDefault()}>
        <label>
          Actor
          <input
            type="search"
            data-shortcut="search"
            placeholder="user or service account"
            value={filters.actor}
            onChange={(event) => setFilter({ actor: event.target.value })}
          />
        </label>
        <label>
          Action
          <input
            type="search"
            placeholder="token.create or token"
            value={filters.action}
            aria-invalid={badAction !== null}
            onChange={(event) => setFilter({ action: event.target.value })}
          />
          {badAction && <span className="field-error">{badAction}</span>}
        </label>
        <label className="grow">
          Target starts with
          <input
            type="search"
            placeholder="job/ops/"
            value={filters.target}
            onChange={(event) => setFilter({ target: event.target.value })}
          />
        </label>
        <TimeRange
          legend="Recorded"
          since={filters.since}
          until={filters.until}
          refused={{ since: refused.since, until: refused.until }}
          onChange={setFilter}
        />
      </form>
      <ErrorMessage error={records.error} />
      {shown.length === 0 ? (
        records.error ? null : (
          <Empty>
            {filtered
              ? `No record matches these filters (${describeTimeRange(filters.since, filters.until)}).`
              : 'The audit trail is empty.'}
          </Empty>
        )
      ) : (
        <div className="table-wrap">
          <table className="stacked-table audit-table">
            <thead>
              <tr>
                <th scope="col" className="number">
                  Seq
                </th>
                <th scope="col">When</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Details</th>
                <th scope="col">Hash</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((record) => (
                <tr key={record.seq}>
                  <td data-label="Seq" className="number">
                    <span className="id">{record.seq}</span>
                  </td>
                  <td data-label="When">
                    <time dateTime={record.at} title={formatAgo(record.at)}>
                      {formatTime(record.at)}
                    </time>
                  </td>
                  <td data-label="Actor">
                    <span>
                      <button
                        type="button"
                        className="link-button"
                        title={`Only changes by ${record.actor}`}
                        onClick={() => setFilter({ actor: record.actor })}
                      >
                        {record.actor}
                      </button>
                      {record.address && <span className="muted address"> from {record.address}</span>}
                    </span>
                  </td>
                  <td data-label="Action">
                    <button
                      type="button"
                      className="link-button action"
                      title={`Only ${record.action}`}
                      onClick={() => setFilter({ action: record.action })}
                    >
                      {record.action}
                    </button>
                  </td>
                  <td data-label="Target">
                    <button
                      type="button"
                      className="link-button target"
                      title={`Only changes to ${record.target}`}
                      onClick={() => setFilter({ target: record.target })}
                    >
                      {record.target}
                    </button>
                  </td>
                  <td data-label="Details">
                    <dl className="summary">
                      {summaryEntries(record.summary).map(([key, value]) => (
                        <div key={key}>
                          <dt>{key}</dt>
                          <dd>{value}</dd>
                        </div>
                      ))}
                    </dl>
                  </td>
                  <td data-label="Hash">
                    <code className="hash" title={`hash ${record.hash}\nprevious ${record.prevHash}`}>
                      {record.hash.slice(0, 10)}…
                    </code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {records.data && (
        <Pager
          label="Pages of audit records"
          before={filters.before}
          next={records.data.next}
          trail={trail}
          filtersKey={auditFiltersKey(filters)}
          go={goToPage}
        />
      )}
    </>
  );
}

/** Walks the hash chain on request (it reads the whole trail) and says what it found. */
function ChainCheck() {
  const [result, setResult] = useState<AuditVerifyResponse | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const verify = async () => {
    setBusy(true);
    setError(null);
    try {
      setResult(await get<AuditVerifyResponse>('/api/v1/audit/verify'));
    } catch (failure) {
      setError(failure);
      setResult(null);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="chain-check" aria-labelledby="chain-heading">
      <div className="chain-row">
        <h2 id="chain-heading">Hash chain</h2>
        <button type="button" onClick={() => void verify()} disabled={busy}>
          {busy ? 'Verifying…' : result ? 'Verify again' : 'Verify chain'}
        </button>
      </div>
      <div aria-live="polite">
        {error ? <ErrorMessage error={error} /> : null}
        {result && (
          <div className={result.ok ? 'notice chain-result' : 'error chain-result'}>
            <p>
              {result.ok ? (
                <>
                  <strong>Intact.</strong> {formatCount(result.checked)} records checked
                  {result.firstSeq !== null && ` (#${result.firstSeq} to #${result.lastSeq})`}; none changed,
                  deleted or reordered.
                </>
              ) : (
                <>
                  <strong>
                    {result.problems.length} problem{result.problems.length === 1 ? '' : 's'}
                  </strong>{' '}
                  in {formatCount(result.checked)} records checked:
                </>
              )}
            </p>
            {!result.ok && (
              <ul>
                {result.problems.map((problem) => (
                  <li key={`${problem.seq} ${problem.problem}`}>
                    #{problem.seq}: {problem.problem}
                  </li>
                ))}
              </ul>
            )}
            <p className="head">
              Head: #{result.headSeq} <code className="hash">{result.headHash}</code>{' '}
              <button
                type="button"
                className="ghost"
                onClick={() => void navigator.clipboard?.writeText(`${result.headSeq} ${result.headHash}`)}
              >
                Copy
              </button>
            </p>
            <p className="hint">
              Keep the head elsewhere: a trail rewritten from the start would not match it.
            </p>
          </div>
        )}
      </div>
    </section>
  );
}
