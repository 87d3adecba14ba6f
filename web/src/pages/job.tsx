/** One job: what it does, a run form from its option types, how it has been doing, its YAML. */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense } from 'react';
import { Link, useLocation } from 'wouter';
import { get, post } from '../api/client';
import { FINISHED_STATES, type Execution, type ExecutionPage, type JobDetail } from '../api/types';
import { ErrorMessage, Loading, PageHeader, Stat, StateBadge } from '../components/common';
import type { RunExtras } from '../components/run-form';
import { ScheduleTable } from '../components/schedule-table';
import { useNow } from '../components/use-now';
import type { ScheduleList } from '../api/schedules';
import type { NodeFilterSpec } from '../api/nodes';
import { describeNodeFilter, nodeFilterText } from './nodes-view';
import { elapsedMs, formatAgo, formatRate, formatTime } from '../format';
import { formatDurationForUi } from '../../../src/contract/time.js';

/**
 * The run form checks option patterns with re2js, the server's linear-time engine, so both sides
 * agree on what matches. re2js is 150 kB of script (46 kB gzipped): bundled eagerly it grew the
 * first page's scripts by half (296 → 447 kB); loaded with the run form, the first page stays
 * as it was and the job page fetches one 157 kB chunk.
 */
const RunForm = lazy(() => import('../components/run-form').then((module) => ({ default: module.RunForm })));

export function JobPage({ project, name }: { project: string; name: string }) {
  const [, navigate] = useLocation();
  const queryClient = useQueryClient();
  const path = `/api/v1/jobs/${encodeURIComponent(project)}/${encodeURIComponent(name)}`;
  const job = useQuery({
    queryKey: ['job', project, name],
    queryFn: ({ signal }) => get<{ job: JobDetail }>(path, {}, signal),
  });
  const recent = useQuery({
    queryKey: ['executions', { job: `${project}/${name}`, limit: 10 }],
    queryFn: ({ signal }) =>
      get<ExecutionPage>('/api/v1/executions', { job: `${project}/${name}`, limit: 10 }, signal),
    // While something runs, keep the list current; idle jobs are not polled.
    refetchInterval: (query) =>
      query.state.data?.executions.some((execution) => !FINISHED_STATES.has(execution.state)) ? 2000 : false,
  });

  if (job.isPending) return <Loading what="Loading job" />;
  if (job.error) return <ErrorMessage error={job.error} />;
  const detail = job.data.job;

  const run = async (options: Record<string, unknown>, extras: RunExtras) => {
    const { execution } = await post<{ execution: Execution }>(`${path}/executions`, { options, ...extras });
    await queryClient.invalidateQueries({ queryKey: ['executions'] });
    navigate(`/executions/${execution.id}`);
  };

  return (
    <>
      <PageHeader
        title={
          <>
            <Link href={`/jobs?project=${encodeURIComponent(project)}`} className="muted plain">
              {project}/
            </Link>
            {name}
          </>
        }
      >
        <Link href={`/executions?job=${encodeURIComponent(`${project}/${name}`)}`}>All executions</Link>
        <Link href={`/usage?job=${encodeURIComponent(`${project}/${name}`)}`}>Usage</Link>
      </PageHeader>
      {detail.description && <p className="lead">{detail.description}</p>}
      <div className="labels">
        {Object.entries(detail.labels).map(([key, value]) => (
          <Link key={key} className="label" href={`/jobs?label=${encodeURIComponent(`${key}=${value}`)}`}>
            {key}={value}
          </Link>
        ))}
      </div>
      <section className="stats" aria-label="Last 30 days">
        <Stat
          label="success, 30 d"
          value={formatRate(detail.stats.successRate)}
          hint="succeeded / finished"
        />
        <Stat label="runs, 30 d" value={detail.stats.executions} />
        <Stat label="p50 duration" value={formatDurationForUi(detail.stats.p50Ms)} />
        <Stat label="p95 duration" value={formatDurationForUi(detail.stats.p95Ms)} />
        <Stat
          label="last run"
          value={
            detail.lastExecution ? (
              <Link href={`/executions/${detail.lastExecution.id}`} className="plain">
                <StateBadge state={detail.lastExecution.state} />
              </Link>
            ) : (
              '—'
            )
          }
          hint={detail.lastExecution?.finishedAt ? formatTime(detail.lastExecution.finishedAt) : undefined}
        />
      </section>
      <div className="columns">
        <section aria-labelledby="run-heading">
          <h2 id="run-heading">Run</h2>
          {detail.allowed.run ? (
            <Suspense fallback={<Loading what="Loading the run form" />}>
              <RunForm
                options={detail.options}
                onRun={run}
                {...(typeof detail.spec.service === 'string' ? { budgetJob: `${project}/${name}` } : {})}
              />
            </Suspense>
          ) : (
            <p className="muted">
              You may see this job but not run it. Its owners can grant `run` with a policy.
            </p>
          )}
        </section>
        <section aria-labelledby="recent-heading">
          <h2 id="recent-heading">Recent executions</h2>
          <ErrorMessage error={recent.error} />
          {recent.data && recent.data.executions.length === 0 && <p className="muted">Not run yet.</p>}
          <ul className="execution-list">
            {recent.data?.executions.map((execution) => (
              <li key={execution.id}>
                <Link href={`/executions/${execution.id}`} className="plain">
                  <span className="id">#{execution.id}</span> <StateBadge state={execution.state} />{' '}
                  <span className="muted">
                    {execution.requestedBy} · {formatAgo(execution.queuedAt)} ·{' '}
                    {formatDurationForUi(elapsedMs(execution.startedAt, execution.finishedAt))}
                  </span>
                </Link>
              </li>
            ))}
          </ul>
        </section>
      </div>
      {detail.spec.nodes !== undefined && <JobNodes filter={detail.spec.nodes as NodeFilterSpec} />}
      <JobSchedules project={project} name={name} />
      <section aria-labelledby="steps-heading">
        <h2 id="steps-heading">Steps</h2>
        <ol className="steps">
          {detail.steps.map((step) => (
            <li key={step}>{step}</li>
          ))}
        </ol>
      </section>
      <section aria-labelledby="yaml-heading">
        <h2 id="yaml-heading">
          Definition{' '}
          <span className="muted">
            revision {detail.revision}, applied by {detail.updatedBy} {formatAgo(detail.updatedAt)}
          </span>
        </h2>
        <div className="code-block">
          <button
            type="button"
            className="ghost copy"
            onClick={() => void navigator.clipboard?.writeText(detail.source)}
          >
            Copy
          </button>
          <pre>
            <code>{detail.source}</code>
          </pre>
        </div>
      </section>
    </>
  );
}

/** The job's schedules, when it has any: when it runs next on its own, and how its last fire went. */
function JobSchedules({ project, name }: { project: string; name: string }) {
  const now = useNow(1000);
  const schedules = useQuery({
    queryKey: ['schedules', { project, job: name }],
    queryFn: ({ signal }) => get<ScheduleList>('/api/v1/schedules', { project, job: name }, signal),
    refetchInterval: 15_000,
  });
  if (!schedules.data?.schedules.length && !schedules.error) return null;
  return (
    <section aria-labelledby="schedules-heading">
      <h2 id="schedules-heading">Schedules</h2>
      <ErrorMessage error={schedules.error} />
      {schedules.data && <ScheduleTable schedules={schedules.data.schedules} now={now} showJob={false} />}
    </section>
  );
}

/** Where a job with `spec.nodes` runs its steps, in words, with the matching nodes a click away. */
function JobNodes({ filter }: { filter: NodeFilterSpec }) {
  const text = nodeFilterText(filter);
  return (
    <section aria-labelledby="nodes-heading">
      <h2 id="nodes-heading">Nodes</h2>
      <p>
        {describeNodeFilter(filter)}{' '}
        <Link href={text ? `/nodes?filter=${encodeURIComponent(text)}` : '/nodes'}>
          {text ? (
            <>
              See the nodes <code>{text}</code> matches
            </>
          ) : (
            'See the nodes'
          )}
        </Link>
      </p>
    </section>
  );
}
