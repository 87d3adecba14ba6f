/**
 * Usage statistics for a caller: only executions of jobs the caller may view are counted. The
 * decision is made once per job of the window through the one authorization check, never per row.
 */
import type { AccessControl } from '../../access/authorize.js';
import { resources, type Principal } from '../../access/model.js';
import type { DialectCapabilities } from '../../platform/db/capabilities.js';
import type { Db } from '../../platform/db/database.js';
import {
  byExecutionsThenName,
  dailyUsage,
  dayLabel,
  groupStates,
  MAX_DURATION_ROWS,
  NO_TEAM,
  outcomesOf,
  summarizeDurations,
  type JobRef,
  type JobUsage,
  type TeamUsage,
  type UsageQuery,
  type UsageReport,
  type UserUsage,
} from './model.js';
import {
  countByDay,
  countByJob,
  countByTeam,
  countByUser,
  listDurations,
  listJobsInWindow,
  listLastExecutions,
  listOwnersServed,
  sumTimeSaved,
  type UsageScope,
} from './store.js';

const jobKey = (job: JobRef) => `${job.project}/${job.job}`;

export class UsageService {
  constructor(
    private readonly db: Db,
    private readonly caps: DialectCapabilities,
    private readonly access: AccessControl,
  ) {}

  /** The usage report over the executions queued in the query's window that the caller may view. */
  async report(caller: Principal, query: UsageQuery): Promise<UsageReport> {
    const jobs = await listJobsInWindow(this.db, query);
    const visible = jobs.filter(
      (job) => this.access.authorize(caller, 'view', resources.job(job.project, job.job)).allowed,
    );
    const scope: UsageScope = { ...query, visible };
    const [days, jobCounts, last, userCounts, owners, teamCounts, durations, saved] = await Promise.all([
      countByDay(this.db, scope),
      countByJob(this.db, scope),
      listLastExecutions(this.db, scope),
      countByUser(this.db, scope),
      listOwnersServed(this.db, scope),
      countByTeam(this.db, scope),
      // One more than the cap tells whether there were more.
      listDurations(this.db, scope, MAX_DURATION_ROWS + 1),
      sumTimeSaved(this.db, this.caps, scope),
    ]);
    const truncated = durations.length > MAX_DURATION_ROWS;

    const durationsByJob = new Map<string, number[]>();
    for (const row of durations.slice(0, MAX_DURATION_ROWS)) {
      const list = durationsByJob.get(jobKey(row)) ?? [];
      list.push(row.durationMs);
      durationsByJob.set(jobKey(row), list);
    }
    const lastByJob = new Map(last.map((row) => [jobKey(row), row]));
    const byJob: JobUsage[] = [...groupStates(jobCounts, jobKey)].map(([key, counts]) => {
      const [project, job] = splitJobKey(key);
      const newest = lastByJob.get(key);
      return {
        project,
        job,
        ...outcomesOf(counts),
        durationMs: summarizeDurations(durationsByJob.get(key) ?? []),
        lastExecution: newest
          ? {
              id: newest.id,
              state: newest.state,
              finishedAt: newest.finishedAt === null ? null : new Date(newest.finishedAt),
            }
          : null,
      };
    });

    const servedBy = new Map<string, Set<string>>();
    for (const { user, team } of owners) servedBy.set(user, (servedBy.get(user) ?? new Set()).add(team));
    const byUser: UserUsage[] = [...groupStates(userCounts, (row) => row.user)].map(([user, counts]) => {
      const { executions, successRate } = outcomesOf(counts);
      return { user, executions, successRate, onBehalfOf: [...(servedBy.get(user) ?? [])].sort() };
    });

    const teamOf = (row: { team: string | null }) => row.team ?? NO_TEAM;
    const byTeam: TeamUsage[] = [...groupStates(teamCounts, teamOf)].map(([team, counts]) => {
      const { executions, successRate } = outcomesOf(counts);
      const perDay = new Map<number, number>();
      for (const row of teamCounts) {
        if (teamOf(row) === team) perDay.set(row.day, (perDay.get(row.day) ?? 0) + row.count);
      }
      const days = [...perDay]
        .sort(([a], [b]) => a - b)
        .map(([day, count]) => ({ day: dayLabel(day), executions: count }));
      return { team, executions, successRate, days };
    });

    const timeSavedByJob = saved
      .map((row) => ({
        project: row.project,
        job: row.job,
        executions: row.executions,
        manualMinutes: row.manualMinutes,
        runMinutes: row.runMs / 60_000,
        minutes: row.manualMinutes - row.runMs / 60_000,
      }))
      .sort((a, b) => b.minutes - a.minutes || jobKey(a).localeCompare(jobKey(b)));

    return {
      window: { since: query.since, until: query.until },
      truncated,
      days: dailyUsage(days),
      byJob: byJob.sort(byExecutionsThenName<JobUsage>(jobKey)),
      byUser: byUser.sort(byExecutionsThenName((user) => user.user)),
      byTeam: byTeam.sort(byExecutionsThenName((team) => team.team)),
      timeSaved: {
        totalMinutes: timeSavedByJob.reduce((sum, job) => sum + job.minutes, 0),
        byJob: timeSavedByJob,
      },
    };
  }
}

/** Project and job names never contain a slash, so the first one separates them. */
function splitJobKey(key: string): [string, string] {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
}
