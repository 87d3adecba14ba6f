/**
 * History: every execution the user may see, filtered by job, project, user, state and time,
 * paged by a cursor. Filters and the page live in the URL, so any view can be shared.
 */
import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { ApiError, get } from '../api/client';
import { EXECUTION_STATES, FINISHED_STATES, type ExecutionPage, type JobSummary } from '../api/types';
import { Empty, ErrorMessage, Loading, PageHeader, StateBadge } from '../components/common';
import { CursorTrail, type Cursor } from '../components/cursor-trail';
import { Pager } from '../components/pager';
import { describeTimeRange, fieldOfProblem } from '../components/time-bound';
import { TimeRange } from '../components/time-range';
import { useNow } from '../components/use-now';
import { elapsedMs, formatAgo, formatState, formatTime } from '../format';
import { formatDurationForUi } from '../../../src/contract/time.js';
import type { UsersResponse } from '../../../src/contract/users.js';
import { useUrlFilters } from '../url-state';
import {
  historyApiQuery,
  historyFiltersKey,
  isFiltered,
  readHistoryFilters,
  toggleState,
  unknownStates,
} from './history-query';
import '../components/lists.css';
import './history.css';

/** Paging memory for Newer, kept while the app is open. */
const trail = new CursorTrail();

/** While something shown is still moving, the list is asked again this often. */
const LIVE_REFRESH_MS = 3000;

const FIELD_LABELS: Record<string, string> = {
  job: 'Job',
  project: 'Project',
  user: 'Requested by',
  states: 'States',
  since: 'Since',
  until: 'Until',
  before: 'Page',
};

export default function HistoryPage() {
  const [params, setParams] = useUrlFilters();
  const filters = readHistoryFilters(params);
  const badStates = unknownStates(params);
  const query = historyApiQuery(filters);
  const filtersKey = historyFiltersKey(filters);

  const executions = useQuery({
    queryKey: ['executions', query],
    queryFn: ({ signal }) => get<ExecutionPage>('/api/v1/executions', query, signal),
    placeholderData: (previous) => previous,
    refetchInterval: (current) =>
      current.state.data?.executions.some((execution) => !FINISHED_STATES.has(execution.state))
        ? LIVE_REFRESH_MS
        : false,
  });
  // Choices for the filters: the jobs and people the user may see.
  const jobs = useQuery({
    queryKey: ['jobs', {}],
    queryFn: ({ signal }) => get<{ jobs: JobSummary[] }>('/api/v1/jobs', {}, signal),
  });
  const users = useQuery({
    queryKey: ['users'],
    queryFn: ({ signal }) => get<UsersResponse>('/api/v1/users', {}, signal),
  });
  const projects = [...new Set((jobs.data?.jobs ?? []).map((job) => job.project))].sort();

  /** A filter change starts again from the newest page. */
  const setFilter = (changes: Record<string, string | undefined>) =>
    setParams({ ...changes, before: undefined });
  const goToPage = (cursor: Cursor) => setParams({ before: cursor }, { push: true });

  const refused = refusedFields(executions.error);
  const shown = executions.data?.executions ?? [];
  const anyMoving = shown.some((execution) => !FINISHED_STATES.has(execution.state));
  const now = useNow(1000, anyMoving);

  return (
    <>
      <PageHeader title="History">
        {isFiltered(filters) && (
          <button
            type="button"
            onClick={() =>
              setFilter({
                job: undefined,
                project: undefined,
                user: undefined,
                state: undefined,
                states: undefined,
                since: undefined,
                until: undefined,
              })
            }
          >
            Clear filters
          </button>
        )}
      </PageHeader>
      <form className="filters history-filters" role="search" onSubmit={(event) => event.preventDefault()}>
        <label className="grow">
          Job
          <input
            type="search"
            data-shortcut="search"
            list="history-job-choices"
            placeholder="project/name  ( / )"
            value={filters.job}
            aria-invalid={refused.job !== undefined}
            onChange={(event) => setFilter({ job: event.target.value })}
          />
          <datalist id="history-job-choices">
            {(jobs.data?.jobs ?? []).map((job) => (
              <option key={`${job.project}/${job.name}`} value={`${job.project}/${job.name}`} />
            ))}
          </datalist>
        </label>
        <label>
          Project
          <select value={filters.project} onChange={(event) => setFilter({ project: event.target.value })}>
            <option value="">all</option>
            {projects.map((name) => (
              <option key={name}>{name}</option>
            ))}
            {filters.project && !projects.includes(filters.project) && <option>{filters.project}</option>}
          </select>
        </label>
        <label>
          Requested by
          <input
            type="search"
            list="history-user-choices"
            placeholder="anyone"
            value={filters.user}
            aria-invalid={refused.user !== undefined}
            onChange={(event) => setFilter({ user: event.target.value })}
          />
          <datalist id="history-user-choices">
            {(users.data?.users ?? []).map((user) => (
              <option key={user.name} value={user.name} />
            ))}
          </datalist>
        </label>
        <fieldset className="state-choices">
          <legend>States</legend>
          {EXECUTION_STATES.map((state) => (
            <label key={state} className={`state-choice state-${state}`}>
              <input
                type="checkbox"
                checked={filters.states.includes(state)}
                onChange={() =>
                  setFilter({ state: undefined, states: toggleState(filters.states, state).join(',') })
                }
              />
              {formatState(state)}
            </label>
          ))}
        </fieldset>
        <TimeRange
          legend="Queued"
          since={filters.since}
          until={filters.until}
          refused={{ since: refused.since, until: refused.until }}
          onChange={setFilter}
        />
      </form>

      {badStates.length > 0 && (
        <p className="error" role="alert">
          Not a state: {badStates.join(', ')}. The states are {EXECUTION_STATES.map(formatState).join(', ')}.
        </p>
      )}
      <RefusalMessage error={executions.error} />

      {executions.isPending ? (
        <Loading what="Loading executions" />
      ) : executions.isError && !executions.data ? null : shown.length === 0 ? (
        <Empty>
          {isFiltered(filters)
            ? `No execution matches these filters (${describeTimeRange(filters.since, filters.until)}).`
            : 'Nothing has run yet that you may see. Start a job from the Jobs page.'}
          {filters.before !== undefined && (
            <>
              {' '}
              <button type="button" onClick={() => goToPage(undefined)}>
                Go to the newest page
              </button>
            </>
          )}
        </Empty>
      ) : (
        <>
          <p className="list-summary muted" aria-live="polite">
            {shown.length} execution{shown.length === 1 ? '' : 's'}
            {filters.before ? ` older than #${filters.before}` : ', newest first'}
            {anyMoving ? ' · updating while some are in progress' : ''}
            {executions.isFetching && !executions.isPending ? ' · refreshing…' : ''}
          </p>
          <div className="table-wrap">
            <table className="stacked-table history-table">
              <thead>
                <tr>
                  <th scope="col">Execution</th>
                  <th scope="col">Job</th>
                  <th scope="col">State</th>
                  <th scope="col">Requested by</th>
                  <th scope="col">Queued</th>
                  <th scope="col" className="number">
                    Duration
                  </th>
                  <th scope="col" className="number">
                    Attempt
                  </th>
                </tr>
              </thead>
              <tbody>
                {shown.map((execution) => (
                  <tr key={execution.id}>
                    <td data-label="Execution" className="c-id">
                      <Link href={`/executions/${execution.id}`} className="id-link">
                        #{execution.id}
                      </Link>
                    </td>
                    <td data-label="Job" className="c-job">
                      <Link
                        href={`/jobs/${encodeURIComponent(execution.project)}/${encodeURIComponent(execution.job)}`}
                        className="job-link"
                      >
                        <span className="muted">{execution.project}/</span>
                        {execution.job}
                      </Link>
                    </td>
                    <td data-label="State" className="c-state">
                      <div>
                        <StateBadge state={execution.state} />
                        {execution.reason && execution.state !== 'succeeded' && (
                          <div className="reason muted" title={execution.reason}>
                            {execution.reason}
                          </div>
                        )}
                      </div>
                    </td>
                    <td data-label="Requested by" className="c-user">
                      <button
                        type="button"
                        className="link-button"
                        title={`Only executions requested by ${execution.requestedBy}`}
                        onClick={() => setFilter({ user: execution.requestedBy })}
                      >
                        {execution.requestedBy}
                      </button>
                    </td>
                    <td data-label="Queued" className="c-queued">
                      <time dateTime={execution.queuedAt} title={formatTime(execution.queuedAt)}>
                        {formatAgo(execution.queuedAt, now)}
                      </time>
                    </td>
                    <td data-label="Duration" className="number c-duration">
                      {execution.startedAt ? (
                        formatDurationForUi(elapsedMs(execution.startedAt, execution.finishedAt, now))
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                    <td
                      data-label="Attempt"
                      className={
                        execution.attempt === 1 ? 'number c-attempt first-attempt' : 'number c-attempt'
                      }
                    >
                      <span>
                        {execution.attempt}
                        {execution.retryOf !== null && (
                          <>
                            {' '}
                            <Link href={`/executions/${execution.retryOf}`} className="muted">
                              (retry of #{execution.retryOf})
                            </Link>
                          </>
                        )}
                      </span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {executions.data && (
        <Pager
          label="Pages of executions"
          before={filters.before}
          next={executions.data.next}
          trail={trail}
          filtersKey={filtersKey}
          go={goToPage}
        />
      )}
    </>
  );
}

/** The fields a 400 named, with what was wrong: shown next to the inputs. */
function refusedFields(error: unknown): Record<string, string | undefined> {
  if (!(error instanceof ApiError) || error.status !== 400) return {};
  return Object.fromEntries(
    error.problems.map((problem) => [
      fieldOfProblem(problem.path ?? ''),
      problem.expected ? `${problem.message}; expected ${problem.expected}` : problem.message,
    ]),
  );
}

/** A refused filter named in words; any other error as the API said it. */
function RefusalMessage({ error }: { error: unknown }) {
  if (!error) return null;
  if (!(error instanceof ApiError) || error.status !== 400 || error.problems.length === 0) {
    return <ErrorMessage error={error} />;
  }
  return (
    <div className="error" role="alert">
      <p>These filters were refused:</p>
      <ul>
        {error.problems.map((problem) => {
          const field = fieldOfProblem(problem.path ?? '');
          return (
            <li key={problem.path + problem.message}>
              <strong>{FIELD_LABELS[field] ?? field}</strong> (<code>{problem.path}</code>): {problem.message}
              {problem.expected ? `; expected ${problem.expected}` : ''}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
