/**
 * Usage statistics: how operations are used, by whom and for whom, how well they go, and how
 * much operator time they save. Every chart has the table of its numbers beside it; the window
 * and filters live in the URL.
 */
import { useMemo, type ReactNode } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { get } from '../api/client';
import type { JobSummary } from '../api/types';
import type { UsageReport } from '../api/usage';
import { CategoryBars, DayLines, DayStackedBars, type ChartSeries } from '../components/charts/charts';
import { PALETTE } from '../components/charts/colors';
import { utcDays } from '../components/charts/series';
import { Empty, ErrorMessage, Loading, PageHeader, Stat, StateBadge } from '../components/common';
import { formatCount, formatRate } from '../format';
import { formatDurationForUi } from '../../../src/contract/time.js';
import type { TeamsResponse } from '../../../src/contract/teams.js';
import { useUrlFilters } from '../url-state';
import {
  formatMinutes,
  manualMinutesPerRun,
  outcomesPerDay,
  readUsageFilters,
  successRatePerDay,
  teamsPerDay,
  usageApiQuery,
  usageTotals,
  WINDOW_DAYS,
  type UsageFilters,
} from './usage-data';
import '../components/lists.css';
import './usage.css';

/** The most jobs drawn in a bar chart; the tables list every one. */
const MAX_JOB_BARS = 12;

const formatPercent = (value: number) => `${Math.round(value)}%`;
const formatMs = (value: number) => formatDurationForUi(value);

export default function UsagePage() {
  const [params, setParams] = useUrlFilters();
  const filters = readUsageFilters(params);
  const query = usageApiQuery(filters);

  const usage = useQuery({
    queryKey: ['usage', query],
    queryFn: ({ signal }) => get<UsageReport>('/api/v1/usage', query, signal),
    placeholderData: (previous) => previous,
  });
  const jobs = useQuery({
    queryKey: ['jobs', {}],
    queryFn: ({ signal }) => get<{ jobs: JobSummary[] }>('/api/v1/jobs', {}, signal),
  });
  const teams = useQuery({
    queryKey: ['teams'],
    queryFn: ({ signal }) => get<TeamsResponse>('/api/v1/teams', {}, signal),
  });

  return (
    <>
      <PageHeader title="Usage">
        <div className="time-presets" role="group" aria-label="Window">
          {WINDOW_DAYS.map((days) => (
            <button
              key={days}
              type="button"
              aria-pressed={filters.days === days}
              onClick={() => setParams({ days: String(days) })}
            >
              Last {days} d
            </button>
          ))}
        </div>
      </PageHeader>
      <UsageFilterBar
        filters={filters}
        jobs={jobs.data?.jobs ?? []}
        teams={(teams.data?.teams ?? []).map((team) => team.name)}
        onChange={setParams}
      />
      <ErrorMessage error={usage.error} />
      {usage.isPending ? (
        <Loading what="Counting executions" />
      ) : usage.data ? (
        <UsageReportView report={usage.data} filters={filters} refreshing={usage.isFetching} />
      ) : null}
    </>
  );
}

function UsageFilterBar({
  filters,
  jobs,
  teams,
  onChange,
}: {
  filters: UsageFilters;
  jobs: JobSummary[];
  teams: string[];
  onChange: (changes: Record<string, string | undefined>) => void;
}) {
  const projects = [...new Set(jobs.map((job) => job.project))].sort();
  const jobNames = jobs
    .filter((job) => !filters.project || job.project === filters.project)
    .map((job) => `${job.project}/${job.name}`)
    .sort();
  return (
    <form className="filters usage-filters" onSubmit={(event) => event.preventDefault()}>
      <label>
        Project
        <select
          value={filters.project}
          // A job of another project would make the two filters contradict each other.
          onChange={(event) => onChange({ project: event.target.value, job: undefined })}
        >
          <option value="">all</option>
          {withCurrent(projects, filters.project).map((name) => (
            <option key={name}>{name}</option>
          ))}
        </select>
      </label>
      <label>
        Job
        <select value={filters.job} onChange={(event) => onChange({ job: event.target.value })}>
          <option value="">all</option>
          {withCurrent(jobNames, filters.job).map((name) => (
            <option key={name}>{name}</option>
          ))}
        </select>
      </label>
      <label>
        Requester’s team
        <select value={filters.team} onChange={(event) => onChange({ team: event.target.value })}>
          <option value="">any</option>
          {withCurrent([...teams].sort(), filters.team).map((name) => (
            <option key={name}>{name}</option>
          ))}
        </select>
      </label>
    </form>
  );
}

/** The choices with the current value among them, so a link naming something unlisted still shows it. */
function withCurrent(choices: string[], current: string): string[] {
  return current && !choices.includes(current) ? [current, ...choices] : choices;
}

function UsageReportView({
  report,
  filters,
  refreshing,
}: {
  report: UsageReport;
  filters: UsageFilters;
  refreshing: boolean;
}) {
  const totals = usageTotals(report.days);
  const days = utcDays(report.window.since, report.window.until);
  const historyLink = (extra: Record<string, string>) =>
    `/executions?${new URLSearchParams({ since: `${filters.days}d`, ...extra }).toString()}`;

  return (
    <>
      <p className="muted usage-window" aria-live="polite">
        {days[0]} – {days[days.length - 1]} (UTC days), over the jobs you may see
        {refreshing ? ' · refreshing…' : ''}
      </p>
      <section className="stats" aria-label="Totals">
        <Stat label="executions" value={formatCount(totals.executions)} />
        <Stat
          label="success rate"
          value={formatRate(totals.successRate)}
          hint="succeeded / (succeeded + failed + timed out)"
        />
        <Stat label="jobs run" value={formatCount(report.byJob.length)} />
        <Stat label="people and programs" value={formatCount(report.byUser.length)} />
        <Stat
          label="operator time saved"
          value={formatMinutes(report.timeSaved.totalMinutes)}
          hint="see “Operator time saved” below for how"
        />
      </section>
      {report.truncated && (
        <p className="notice">
          More executions ran than run-time percentiles are computed from: p50 and p95 use the newest 100,000.
        </p>
      )}
      {totals.executions === 0 ? (
        <Empty>
          No execution in this window that you may see.{' '}
          {filters.project || filters.job || filters.team ? 'Try without the filters, or ' : 'Try '}a longer
          window.
        </Empty>
      ) : (
        <div className="usage-grid">
          <OutcomesPerDay report={report} />
          <SuccessRatePerDay report={report} />
          <TeamsPerDay report={report} />
          <MostRunJobs report={report} historyLink={historyLink} />
          <RunTimes report={report} />
          <OnBehalfOf report={report} historyLink={historyLink} />
          <TimeSaved report={report} />
        </div>
      )}
    </>
  );
}

/** A chart with its heading, a line on how to read it, and its numbers as a table. */
function ChartSection({
  id,
  title,
  about,
  chart,
  table,
  wide = false,
}: {
  id: string;
  title: string;
  about?: ReactNode;
  chart: ReactNode;
  table: ReactNode;
  wide?: boolean;
}) {
  return (
    <section className={wide ? 'usage-card wide' : 'usage-card'} aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {about && <p className="hint">{about}</p>}
      {chart}
      <details className="chart-numbers">
        <summary>Numbers behind this chart</summary>
        <div className="table-wrap">{table}</div>
      </details>
    </section>
  );
}

function OutcomesPerDay({ report }: { report: UsageReport }) {
  const perDay = useMemo(() => outcomesPerDay(report), [report]);
  const series = useMemo<ChartSeries[]>(
    () => [
      { label: 'succeeded', values: perDay.succeeded, color: '--ok' },
      { label: 'failed or timed out', values: perDay.failed, color: '--danger' },
      { label: 'cancelled or rejected', values: perDay.other, color: '--muted' },
      { label: 'in progress', values: perDay.unfinished, color: '--info' },
    ],
    [perDay],
  );
  const byDay = new Map(report.days.map((day) => [day.day, day]));
  const busiest = report.days.reduce((most, day) => Math.max(most, day.executions), 0);
  return (
    <ChartSection
      id="usage-per-day"
      title="Executions per day, by outcome"
      wide
      chart={
        <DayStackedBars
          days={perDay.days}
          series={series}
          label={`Executions per day over ${perDay.days.length} days, stacked by outcome; at most ${busiest} on one day.`}
        />
      }
      table={
        <table>
          <thead>
            <tr>
              <th scope="col">Day (UTC)</th>
              <th scope="col" className="number">
                Executions
              </th>
              <th scope="col" className="number">
                Succeeded
              </th>
              <th scope="col" className="number">
                Failed
              </th>
              <th scope="col" className="number">
                Cancelled or rejected
              </th>
              <th scope="col" className="number">
                In progress
              </th>
            </tr>
          </thead>
          <tbody>
            {perDay.days.map((day, index) => (
              <tr key={day}>
                <th scope="row">{day}</th>
                <td className="number">{byDay.get(day)?.executions ?? 0}</td>
                <td className="number">{perDay.succeeded[index]}</td>
                <td className="number">{perDay.failed[index]}</td>
                <td className="number">{perDay.other[index]}</td>
                <td className="number">{perDay.unfinished[index]}</td>
              </tr>
            ))}
          </tbody>
        </table>
      }
    />
  );
}

function SuccessRatePerDay({ report }: { report: UsageReport }) {
  const days = useMemo(() => utcDays(report.window.since, report.window.until), [report]);
  const rates = useMemo(() => successRatePerDay(report), [report]);
  const series = useMemo<ChartSeries[]>(
    () => [{ label: 'success rate', values: rates, color: '--ok' }],
    [rates],
  );
  const range = useMemo<[number, number]>(() => [0, 100], []);
  const byDay = new Map(report.days.map((day) => [day.day, day]));
  const measured = rates.filter((rate): rate is number => rate !== null);
  return (
    <ChartSection
      id="usage-success"
      title="Success rate per day"
      about="Succeeded out of succeeded, failed and timed out; a gap is a day without any of these."
      chart={
        <DayLines
          days={days}
          series={series}
          range={range}
          format={formatPercent}
          label={`Success rate per day, ${measured.length} days with finished executions, lowest ${
            measured.length ? formatPercent(Math.min(...measured)) : 'none'
          }.`}
        />
      }
      table={
        <table>
          <thead>
            <tr>
              <th scope="col">Day (UTC)</th>
              <th scope="col" className="number">
                Success rate
              </th>
              <th scope="col" className="number">
                Succeeded / with a verdict
              </th>
            </tr>
          </thead>
          <tbody>
            {days.map((day, index) => {
              const counts = byDay.get(day);
              return (
                <tr key={day}>
                  <th scope="row">{day}</th>
                  <td className="number">{rates[index] == null ? '—' : formatPercent(rates[index])}</td>
                  <td className="number">
                    {counts ? `${counts.succeeded} / ${counts.succeeded + counts.failed}` : '0 / 0'}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      }
    />
  );
}

function TeamsPerDay({ report }: { report: UsageReport }) {
  const days = useMemo(() => utcDays(report.window.since, report.window.until), [report]);
  const series = useMemo<ChartSeries[]>(
    () =>
      teamsPerDay(report.window, report.byTeam).map((line, index) => ({
        label: line.team,
        values: line.values,
        color: PALETTE[index % PALETTE.length]!,
      })),
    [report],
  );
  return (
    <ChartSection
      id="usage-teams"
      title="Executions per day, by requester’s team"
      about="A requester in several teams counts for each of them."
      chart={
        <DayLines
          days={days}
          series={series}
          label={`Executions per day for ${report.byTeam.length} teams: ${report.byTeam
            .slice(0, 3)
            .map((team) => `${team.team} ${team.executions}`)
            .join(', ')}.`}
        />
      }
      table={
        <table>
          <thead>
            <tr>
              <th scope="col">Team</th>
              <th scope="col" className="number">
                Executions
              </th>
              <th scope="col" className="number">
                Success rate
              </th>
              <th scope="col" className="number">
                Active days
              </th>
            </tr>
          </thead>
          <tbody>
            {report.byTeam.map((team) => (
              <tr key={team.team}>
                <th scope="row">{team.team}</th>
                <td className="number">{team.executions}</td>
                <td className="number">{formatRate(team.successRate)}</td>
                <td className="number">{team.days.length}</td>
              </tr>
            ))}
          </tbody>
        </table>
      }
    />
  );
}

const jobName = (job: { project: string; job: string }) => `${job.project}/${job.job}`;
const jobHref = (job: { project: string; job: string }) =>
  `/jobs/${encodeURIComponent(job.project)}/${encodeURIComponent(job.job)}`;

function MostRunJobs({
  report,
  historyLink,
}: {
  report: UsageReport;
  historyLink: (extra: Record<string, string>) => string;
}) {
  const top = useMemo(() => report.byJob.slice(0, MAX_JOB_BARS), [report]);
  const categories = useMemo(() => top.map(jobName), [top]);
  const series = useMemo<ChartSeries[]>(
    () => [{ label: 'executions', values: top.map((job) => job.executions), color: '--accent' }],
    [top],
  );
  return (
    <ChartSection
      id="usage-jobs"
      title="Most-run jobs"
      about={
        report.byJob.length > MAX_JOB_BARS
          ? `The ${MAX_JOB_BARS} most run of ${report.byJob.length}; the table lists every one.`
          : undefined
      }
      chart={
        <CategoryBars
          categories={categories}
          series={series}
          categoryLabel="Job"
          label={`Executions per job: ${top
            .slice(0, 3)
            .map((job) => `${jobName(job)} ${job.executions}`)
            .join(', ')}.`}
        />
      }
      table={
        <table>
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col" className="number">
                Executions
              </th>
              <th scope="col" className="number">
                Succeeded
              </th>
              <th scope="col" className="number">
                Failed
              </th>
              <th scope="col" className="number">
                Success rate
              </th>
              <th scope="col">Last</th>
            </tr>
          </thead>
          <tbody>
            {report.byJob.map((job) => (
              <tr key={jobName(job)}>
                <th scope="row">
                  <Link href={jobHref(job)}>{jobName(job)}</Link>
                </th>
                <td className="number">
                  <Link href={historyLink({ job: jobName(job) })}>{job.executions}</Link>
                </td>
                <td className="number">{job.succeeded}</td>
                <td className="number">{job.failed}</td>
                <td className="number">{formatRate(job.successRate)}</td>
                <td>
                  {job.lastExecution ? (
                    <Link href={`/executions/${job.lastExecution.id}`} className="plain">
                      <StateBadge state={job.lastExecution.state} />
                    </Link>
                  ) : (
                    '—'
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      }
    />
  );
}

function RunTimes({ report }: { report: UsageReport }) {
  const timed = useMemo(
    () =>
      report.byJob
        .filter((job) => job.durationMs !== null)
        .sort((a, b) => b.durationMs!.p95 - a.durationMs!.p95)
        .slice(0, MAX_JOB_BARS),
    [report],
  );
  const categories = useMemo(() => timed.map(jobName), [timed]);
  const series = useMemo<ChartSeries[]>(
    () => [
      { label: 'p95', values: timed.map((job) => job.durationMs!.p95), color: '--chart-1' },
      { label: 'p50', values: timed.map((job) => job.durationMs!.p50), color: '--chart-1' },
    ],
    [timed],
  );
  if (timed.length === 0) return null;
  return (
    <ChartSection
      id="usage-durations"
      title="Run time per job, p50 and p95"
      about="The inner bar is the median (p50), the outer one p95: 1 run in 20 took longer. Slowest first."
      chart={
        <CategoryBars
          categories={categories}
          series={series}
          format={formatMs}
          kind="duration"
          categoryLabel="Job"
          label={`Run time per job, slowest p95 first: ${timed
            .slice(0, 3)
            .map(
              (job) =>
                `${jobName(job)} p50 ${formatMs(job.durationMs!.p50)}, p95 ${formatMs(job.durationMs!.p95)}`,
            )
            .join('; ')}.`}
        />
      }
      table={
        <table>
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col" className="number">
                p50
              </th>
              <th scope="col" className="number">
                p95
              </th>
              <th scope="col" className="number">
                Longest
              </th>
              <th scope="col" className="number">
                Executions
              </th>
            </tr>
          </thead>
          <tbody>
            {report.byJob
              .filter((job) => job.durationMs !== null)
              .map((job) => (
                <tr key={jobName(job)}>
                  <th scope="row">
                    <Link href={jobHref(job)}>{jobName(job)}</Link>
                  </th>
                  <td className="number">{formatMs(job.durationMs!.p50)}</td>
                  <td className="number">{formatMs(job.durationMs!.p95)}</td>
                  <td className="number">{formatMs(job.durationMs!.max)}</td>
                  <td className="number">{job.executions}</td>
                </tr>
              ))}
          </tbody>
        </table>
      }
    />
  );
}

function OnBehalfOf({
  report,
  historyLink,
}: {
  report: UsageReport;
  historyLink: (extra: Record<string, string>) => string;
}) {
  return (
    <section className="usage-card wide" aria-labelledby="usage-people">
      <h2 id="usage-people">Who runs what, on whose behalf</h2>
      <p className="hint">
        Each requester, and the teams owning the projects of the jobs they ran: one team doing another’s
        operations shows here.
      </p>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Requester</th>
              <th scope="col" className="number">
                Executions
              </th>
              <th scope="col" className="number">
                Success rate
              </th>
              <th scope="col">On behalf of (owning teams)</th>
            </tr>
          </thead>
          <tbody>
            {report.byUser.map((user) => (
              <tr key={user.user}>
                <th scope="row">{user.user}</th>
                <td className="number">
                  <Link href={historyLink({ user: user.user })}>{user.executions}</Link>
                </td>
                <td className="number">{formatRate(user.successRate)}</td>
                <td>
                  {user.onBehalfOf.length === 0 ? (
                    <span className="muted">projects without an owning team</span>
                  ) : (
                    <span className="labels">
                      {user.onBehalfOf.map((team) => (
                        <span key={team} className="label">
                          {team}
                        </span>
                      ))}
                    </span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function TimeSaved({ report }: { report: UsageReport }) {
  const { totalMinutes, byJob } = report.timeSaved;
  return (
    <section className="usage-card wide" aria-labelledby="usage-saved">
      <h2 id="usage-saved">Operator time saved</h2>
      <p className="hint">
        For each succeeded execution of a job that declares <code>spec.manualMinutes</code> (how long the
        procedure takes by hand): those minutes, less the time the execution ran. Jobs without{' '}
        <code>manualMinutes</code> count nothing; failed, cancelled and unfinished runs save nothing.
      </p>
      {byJob.length === 0 ? (
        <p className="muted">
          No job run in this window declares <code>spec.manualMinutes</code>, so there is nothing to estimate.
        </p>
      ) : (
        <>
          <p className="saved-total">
            <strong>{formatMinutes(totalMinutes)}</strong> saved over{' '}
            {formatCount(byJob.reduce((sum, job) => sum + job.executions, 0))} succeeded executions of{' '}
            {byJob.length} job{byJob.length === 1 ? '' : 's'}.
          </p>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Job</th>
                  <th scope="col" className="number">
                    Succeeded runs
                  </th>
                  <th scope="col" className="number">
                    × manual time
                  </th>
                  <th scope="col" className="number">
                    − run time
                  </th>
                  <th scope="col" className="number">
                    = saved
                  </th>
                </tr>
              </thead>
              <tbody>
                {byJob.map((job) => {
                  const perRun = manualMinutesPerRun(job);
                  return (
                    <tr key={jobName(job)}>
                      <th scope="row">
                        <Link href={jobHref(job)}>{jobName(job)}</Link>
                      </th>
                      <td className="number">{job.executions}</td>
                      <td className="number" title={`${formatMinutes(job.manualMinutes)} in all`}>
                        {perRun === null ? '—' : `${formatMinutes(perRun)} each`}
                      </td>
                      <td className="number">{formatDurationForUi(job.runMinutes * 60_000)}</td>
                      <td className="number">
                        <strong>{formatMinutes(job.minutes)}</strong>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
