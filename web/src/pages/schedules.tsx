/**
 * Schedules: what runs on a clock, when it fires next, as whom, and whether its last fire worked.
 * Schedules are written as documents (kind: Schedule, or spec.schedules on a job) and applied, so
 * the page reads them and points at the YAML rather than editing them.
 */
import { useQuery } from '@tanstack/react-query';
import { get } from '../api/client';
import type { ScheduleList } from '../api/schedules';
import { Empty, ErrorMessage, Loading, PageHeader, Stat } from '../components/common';
import { ScheduleTable } from '../components/schedule-table';
import { useNow } from '../components/use-now';
import { useUrlFilters } from '../url-state';
import { sortSchedules } from './schedules-view';
import '../components/lists.css';

/** Often enough that a fire's outcome shows up while someone watches the countdown reach it. */
const REFRESH_MS = 15_000;

export default function SchedulesPage() {
  const now = useNow(1000);
  const [filters, setFilters] = useUrlFilters();
  const q = (filters.get('q') ?? '').trim().toLowerCase();
  const project = filters.get('project') ?? '';
  const list = useQuery({
    queryKey: ['schedules'],
    queryFn: ({ signal }) => get<ScheduleList>('/api/v1/schedules', {}, signal),
    refetchInterval: REFRESH_MS,
  });

  const all = list.data?.schedules ?? [];
  const projects = [...new Set(all.map((schedule) => schedule.project))].sort();
  const shown = sortSchedules(
    all.filter(
      (schedule) =>
        (project === '' || schedule.project === project) &&
        (q === '' ||
          [schedule.name, schedule.job, schedule.description ?? '', schedule.owner].some((text) =>
            text.toLowerCase().includes(q),
          )),
    ),
  );
  const refused = all.filter((schedule) => schedule.lastFire?.outcome === 'refused').length;

  return (
    <>
      <PageHeader title="Schedules" />
      <ErrorMessage error={list.error} />
      {list.isPending ? (
        <Loading what="Loading schedules" />
      ) : all.length === 0 ? (
        <Empty>
          No schedule you may see. Add <code>spec.schedules</code> to a job, or apply a{' '}
          <code>kind: Schedule</code> document:
          <pre className="snippet">{`apiVersion: baton/v1
kind: Schedule
metadata: { name: nightly-backup, project: ops }
spec:
  job: backup
  cron: "0 30 2 * * *"      # seconds are optional
  timezone: Europe/Paris
  options: { env: prod }`}</pre>
        </Empty>
      ) : (
        <>
          <section className="stats" aria-label="Schedules at a glance">
            <Stat label="schedules" value={all.length} />
            <Stat label="enabled" value={all.filter((schedule) => schedule.enabled).length} />
            <Stat
              label="last fire refused"
              value={<span className={refused > 0 ? 'fire-bad' : undefined}>{refused}</span>}
              hint="their owner may no longer run the job, or the options no longer fit it: they run nothing until fixed"
            />
          </section>
          <form className="filters" role="search" onSubmit={(event) => event.preventDefault()}>
            <label className="grow">
              Search
              <input
                type="search"
                data-shortcut="search"
                placeholder="schedule, job, description or owner  ( / )"
                value={filters.get('q') ?? ''}
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
          </form>
          {shown.length === 0 ? (
            <Empty>No schedule matches these filters.</Empty>
          ) : (
            <ScheduleTable schedules={shown} now={now} />
          )}
          <p className="hint">
            Times are shown in your browser's time zone; each schedule fires in its own zone. Change a
            schedule by applying its YAML (<code>baton apply -f</code>); <code>baton schedules</code> lists
            the same.
          </p>
        </>
      )}
    </>
  );
}
