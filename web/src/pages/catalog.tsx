/** The job catalog: every job the user may see, searchable, with how it has been doing. */
import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { get } from '../api/client';
import type { JobSummary } from '../api/types';
import { Empty, ErrorMessage, Loading, PageHeader, StateBadge } from '../components/common';
import { formatAgo, formatRate } from '../format';
import { formatDurationForUi } from '../../../src/contract/time.js';
import { useUrlFilters } from '../url-state';

interface ServiceSummary {
  name: string;
}

export function CatalogPage() {
  const [filters, setFilters] = useUrlFilters();
  const q = filters.get('q') ?? '';
  const project = filters.get('project') ?? '';
  const label = filters.get('label') ?? '';
  const service = filters.get('service') ?? '';
  const labelValid = label === '' || /^[^=]+=/.test(label);

  const jobs = useQuery({
    queryKey: ['jobs', { q, project, label, service }],
    queryFn: ({ signal }) =>
      get<{ jobs: JobSummary[] }>(
        '/api/v1/jobs',
        { q, project, label: labelValid ? label : undefined, service },
        signal,
      ),
    placeholderData: (previous) => previous,
  });
  // Filter choices come from what the user may see, unfiltered.
  const everything = useQuery({
    queryKey: ['jobs', {}],
    queryFn: ({ signal }) => get<{ jobs: JobSummary[] }>('/api/v1/jobs', {}, signal),
  });
  const services = useQuery({
    queryKey: ['services'],
    queryFn: ({ signal }) => get<{ services: ServiceSummary[] }>('/api/v1/services', {}, signal),
  });
  const projects = [...new Set((everything.data?.jobs ?? []).map((job) => job.project))].sort();
  const labelChoices = [
    ...new Set(
      (everything.data?.jobs ?? []).flatMap((job) => Object.entries(job.labels).map(([k, v]) => `${k}=${v}`)),
    ),
  ].sort();

  return (
    <>
      <PageHeader title="Jobs" />
      <form className="filters" role="search" onSubmit={(event) => event.preventDefault()}>
        <label className="grow">
          Search
          <input
            type="search"
            data-shortcut="search"
            placeholder="name, project or description  ( / )"
            value={q}
            onChange={(event) => setFilters({ q: event.target.value })}
          />
        </label>
        <label>
          Project
          <select value={project} onChange={(event) => setFilters({ project: event.target.value })}>
            <option value="">all</option>
            {projects.map((name) => (
              <option key={name}>{name}</option>
            ))}
          </select>
        </label>
        <label>
          Label
          <input
            list="label-choices"
            placeholder="key=value"
            value={label}
            aria-invalid={!labelValid}
            onChange={(event) => setFilters({ label: event.target.value })}
          />
          <datalist id="label-choices">
            {labelChoices.map((choice) => (
              <option key={choice} value={choice} />
            ))}
          </datalist>
          {!labelValid && <span className="field-error">write it as key=value</span>}
        </label>
        <label>
          Service
          <select value={service} onChange={(event) => setFilters({ service: event.target.value })}>
            <option value="">all</option>
            {(services.data?.services ?? []).map((entry) => (
              <option key={entry.name}>{entry.name}</option>
            ))}
          </select>
        </label>
      </form>
      <ErrorMessage error={jobs.error} />
      {jobs.isPending ? (
        <Loading what="Loading jobs" />
      ) : jobs.data?.jobs.length === 0 ? (
        <Empty>
          {q || project || label || service
            ? 'No job matches these filters.'
            : 'No job you may see yet. Jobs are applied with `baton apply`; ask an operator for access.'}
        </Empty>
      ) : (
        <div className="table-wrap">
          <table className="jobs">
            <thead>
              <tr>
                <th>Job</th>
                <th>Description</th>
                <th>Last run</th>
                <th className="number" title="succeeded / finished, last 30 days">
                  Success
                </th>
                <th className="number" title="finished executions, last 30 days">
                  Runs
                </th>
                <th className="number" title="median run time, last 30 days">
                  p50
                </th>
              </tr>
            </thead>
            <tbody>
              {jobs.data?.jobs.map((job) => (
                <tr key={`${job.project}/${job.name}`}>
                  <td>
                    <Link href={`/jobs/${job.project}/${job.name}`} className="job-link">
                      <span className="muted">{job.project}/</span>
                      {job.name}
                    </Link>
                    <div className="labels">
                      {Object.entries(job.labels).map(([key, value]) => (
                        <button
                          type="button"
                          key={key}
                          className="label"
                          onClick={() => setFilters({ label: `${key}=${value}` })}
                          title="Filter by this label"
                        >
                          {key}={value}
                        </button>
                      ))}
                    </div>
                  </td>
                  <td>{job.description}</td>
                  <td>
                    {job.lastExecution ? (
                      <Link href={`/executions/${job.lastExecution.id}`} className="plain">
                        <StateBadge state={job.lastExecution.state} />{' '}
                        <span className="muted">{formatAgo(job.lastExecution.finishedAt)}</span>
                      </Link>
                    ) : (
                      <span className="muted">never</span>
                    )}
                  </td>
                  <td className="number">{formatRate(job.stats.successRate)}</td>
                  <td className="number">{job.stats.executions}</td>
                  <td className="number">{formatDurationForUi(job.stats.p50Ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
