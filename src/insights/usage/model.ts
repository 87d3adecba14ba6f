/**
 * Usage statistics: how often operations run, how well, for whom, and how much manual work they
 * save. Pure: the store hands over grouped counts and durations, this folds them into a report.
 */
import { percentile } from '../../platform/percentile.js';
import { parseTimeBound } from '../../access/audit/model.js';
import { InputError } from '../../platform/errors.js';

export const DAY_MS = 86_400_000;
/** The window when `since` is not given. */
export const DEFAULT_WINDOW_MS = 30 * DAY_MS;
/** The longest window one request may cover. */
export const MAX_WINDOW_DAYS = 400;
/** Durations read at most for percentiles; beyond this the answer says `truncated: true`. */
export { MAX_DURATION_ROWS } from '../../contract/usage.js';
/** Where requesters who belong to no team are counted. */
export const NO_TEAM = '(no team)';

export interface UsageWindow {
  /** Epoch ms, inclusive. */
  since: number;
  /** Epoch ms, exclusive. */
  until: number;
}

/** What one request asks for; every filter narrows the executions counted. */
export interface UsageQuery extends UsageWindow {
  project?: string | undefined;
  job?: { project: string; name: string } | undefined;
  /** Only executions requested by members of this team. */
  team?: string | undefined;
}

export interface JobRef {
  project: string;
  job: string;
}

/** Counts of one group (a day, a job, a user, a team) by execution state. */
export type StateCounts = Record<string, number>;

export interface StateCount {
  state: string;
  count: number;
}

/** Executions grouped by how they ended. */
export interface Outcomes {
  executions: number;
  succeeded: number;
  /** failed and timed_out */
  failed: number;
  /** cancelled and rejected */
  other: number;
  /** succeeded / (succeeded + failed); null when none has a verdict yet. */
  successRate: number | null;
}

export interface DurationSummary {
  p50: number;
  p95: number;
  max: number;
}

export interface JobUsage extends JobRef, Outcomes {
  /** Milliseconds from start to finish of the executions that started; null when none did. */
  durationMs: DurationSummary | null;
  lastExecution: { id: number; state: string; finishedAt: Date | null } | null;
}

export interface UserUsage {
  user: string;
  executions: number;
  successRate: number | null;
  /** Teams owning the projects of the jobs this user ran. */
  onBehalfOf: string[];
}

export interface TeamUsage {
  team: string;
  executions: number;
  successRate: number | null;
  /** Days on which the team's members ran anything, oldest first. */
  days: { day: string; executions: number }[];
}

export interface DayUsage {
  /** `2025-03-14`, a UTC day. */
  day: string;
  executions: number;
  succeeded: number;
  failed: number;
  other: number;
}

export interface TimeSaved {
  /** Manual minutes minus actual run time, over succeeded executions of jobs with `manualMinutes`. */
  totalMinutes: number;
  byJob: (JobRef & {
    /** Succeeded executions whose job declared `manualMinutes`. */
    executions: number;
    /** Their declared manual minutes, summed (a job's value may change between revisions). */
    manualMinutes: number;
    /** Their run time, summed. */
    runMinutes: number;
    /** manualMinutes - runMinutes */
    minutes: number;
  })[];
}

export interface UsageReport {
  window: UsageWindow;
  /** True when more executions started than percentiles were computed from. */
  truncated: boolean;
  days: DayUsage[];
  byJob: JobUsage[];
  byUser: UserUsage[];
  byTeam: TeamUsage[];
  timeSaved: TimeSaved;
}

/** p50, p95 and max of durations in any order; null for none. */
export function summarizeDurations(durations: readonly number[]): DurationSummary | null {
  if (durations.length === 0) return null;
  const sorted = [...durations].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50)!, p95: percentile(sorted, 95)!, max: sorted[sorted.length - 1]! };
}

/** Folds counts by state into outcomes. Cancelled and rejected runs say nothing about success. */
export function outcomesOf(counts: StateCounts): Outcomes {
  const count = (state: string) => counts[state] ?? 0;
  const succeeded = count('succeeded');
  const failed = count('failed') + count('timed_out');
  const verdicts = succeeded + failed;
  return {
    executions: Object.values(counts).reduce((sum, value) => sum + value, 0),
    succeeded,
    failed,
    other: count('cancelled') + count('rejected'),
    successRate: verdicts === 0 ? null : succeeded / verdicts,
  };
}

/** The UTC day of a day number (days since the epoch). */
export function dayLabel(dayNumber: number): string {
  return new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);
}

/** Adds rows to per-key state counts. */
export function groupStates<T extends StateCount>(
  rows: readonly T[],
  keyOf: (row: T) => string,
): Map<string, StateCounts> {
  const groups = new Map<string, StateCounts>();
  for (const row of rows) {
    const key = keyOf(row);
    const counts = groups.get(key) ?? {};
    counts[row.state] = (counts[row.state] ?? 0) + row.count;
    groups.set(key, counts);
  }
  return groups;
}

/** The UTC days on which anything was queued, oldest first; a chart fills the gaps from the window. */
export function dailyUsage(rows: readonly (StateCount & { day: number })[]): DayUsage[] {
  return [...groupStates(rows, (row) => String(row.day))]
    .map(([day, counts]) => ({ dayNumber: Number(day), ...outcomesOf(counts) }))
    .sort((a, b) => a.dayNumber - b.dayNumber)
    .map(({ dayNumber, executions, succeeded, failed, other }) => ({
      day: dayLabel(dayNumber),
      executions,
      succeeded,
      failed,
      other,
    }));
}

/** Most first, then by name, so that equal counts come out in a stable order. */
export function byExecutionsThenName<T extends { executions: number }>(name: (item: T) => string) {
  return (a: T, b: T) => b.executions - a.executions || name(a).localeCompare(name(b));
}

/**
 * The window of a request: `since` and `until` as ISO times or durations ago (`7d`), by
 * default the last 30 days; `until` must not be before `since` and the window at most 400 days.
 */
export function parseUsageWindow(
  since: string | undefined,
  until: string | undefined,
  now: number,
): UsageWindow {
  const end = parseTimeBound(until, 'querystring.until', now) ?? now;
  const start = parseTimeBound(since, 'querystring.since', now) ?? end - DEFAULT_WINDOW_MS;
  if (end < start) {
    throw new InputError('invalid querystring.until: before since', [
      {
        path: 'querystring.until',
        message: 'is before since',
        expected: `a time at or after ${new Date(start).toISOString()}`,
        found: JSON.stringify(until ?? new Date(end).toISOString()),
      },
    ]);
  }
  if (end - start > MAX_WINDOW_DAYS * DAY_MS) {
    throw new InputError(`invalid querystring.since: the window is longer than ${MAX_WINDOW_DAYS} days`, [
      {
        path: 'querystring.since',
        message: `the window from since to until is longer than ${MAX_WINDOW_DAYS} days`,
        expected: `at most ${MAX_WINDOW_DAYS} days before until`,
        found: JSON.stringify(since ?? ''),
      },
    ]);
  }
  return { since: start, until: end };
}
