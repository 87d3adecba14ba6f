/**
 * Schedules as a table: when each fires (in plain words where cron allows, always with its zone),
 * the countdown to its next time, whose permissions it runs with, and what its last fire did.
 * Used by the Schedules page and by a job's page for its own schedules.
 */
import { Link } from 'wouter';
import type { Schedule } from '../api/schedules';
import { formatAgo, formatIn, formatTime } from '../format';
import { describeCron, lastFireSummary, optionPairs } from '../pages/schedules-view';
import { StateBadge } from './common';
import './schedule-table.css';

export function ScheduleTable({
  schedules,
  now,
  showJob = true,
}: {
  schedules: readonly Schedule[];
  now: number;
  showJob?: boolean;
}) {
  return (
    <div className="table-wrap">
      <table className="stacked-table schedule-table">
        <thead>
          <tr>
            <th scope="col">Schedule</th>
            {showJob && <th scope="col">Job</th>}
            <th scope="col">When</th>
            <th scope="col">Next</th>
            <th scope="col">Last fire</th>
            <th scope="col">Runs as</th>
          </tr>
        </thead>
        <tbody>
          {schedules.map((schedule) => (
            <ScheduleRow
              key={`${schedule.project}/${schedule.name}`}
              schedule={schedule}
              now={now}
              showJob={showJob}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ScheduleRow({ schedule, now, showJob }: { schedule: Schedule; now: number; showJob: boolean }) {
  const jobPath = `/jobs/${encodeURIComponent(schedule.project)}/${encodeURIComponent(schedule.job)}`;
  const words = describeCron(schedule.cron);
  const [next, ...after] = schedule.nextFireTimes;
  const last = lastFireSummary(schedule.lastFire);
  const options = optionPairs(schedule.options);
  return (
    <tr className={schedule.enabled ? undefined : 'disabled'}>
      <td data-label="Schedule">
        <span>
          <strong className="schedule-name">
            <span className="muted">{schedule.project}/</span>
            {schedule.name}
          </strong>
          {!schedule.enabled && <span className="label">disabled</span>}
          {schedule.definedByJob && (
            <span className="label" title="defined in the job's spec.schedules; edit the job to change it">
              in job {schedule.definedByJob}
            </span>
          )}
          {schedule.description && <span className="schedule-description">{schedule.description}</span>}
        </span>
      </td>
      {showJob && (
        <td data-label="Job">
          <span>
            <Link href={jobPath}>{schedule.job}</Link>
            {options.length > 0 && (
              <span className="schedule-options">
                {options.map((pair) => (
                  <code key={pair}>{pair}</code>
                ))}
              </span>
            )}
          </span>
        </td>
      )}
      <td data-label="When">
        <span>
          {words && <span className="schedule-words">{words}</span>}
          <code>{schedule.cron}</code> <span className="muted">{schedule.timezone}</span>
          {schedule.misfire === 'runOnce' && (
            <span className="label" title="a time missed while no server was up runs once when one is back">
              runs once after downtime
            </span>
          )}
        </span>
      </td>
      <td data-label="Next">
        {next ? (
          <span>
            <time dateTime={next} title={formatTime(next)}>
              {formatIn(next, now)}
            </time>
            {after.length > 0 && (
              <span className="muted schedule-after">
                then {after.map((time) => formatTime(time)).join(', ')}
              </span>
            )}
          </span>
        ) : (
          <span className="muted">{schedule.enabled ? 'no time to come' : '—'}</span>
        )}
      </td>
      <td data-label="Last fire">
        {schedule.lastFire && last ? (
          <span>
            <span className={`fire-outcome fire-${last.tone}`}>{last.label}</span>{' '}
            <time dateTime={schedule.lastFire.firedAt} title={formatTime(schedule.lastFire.firedAt)}>
              {formatAgo(schedule.lastFire.firedAt, now)}
            </time>
            {schedule.lastFire.execution && (
              <>
                {' '}
                <Link href={`/executions/${schedule.lastFire.execution.id}`}>
                  #{schedule.lastFire.execution.id}
                </Link>{' '}
                {schedule.lastFire.execution.state && (
                  <StateBadge state={schedule.lastFire.execution.state} />
                )}
              </>
            )}
            {last.detail && <span className="fire-detail">{last.detail}</span>}
          </span>
        ) : (
          <span className="muted">never fired</span>
        )}
      </td>
      <td data-label="Runs as">
        <span title={schedule.runAs ? 'spec.runAs' : `whoever applied it last (${schedule.updatedBy})`}>
          {schedule.owner}
        </span>
      </td>
    </tr>
  );
}
