/**
 * The Usage page's numbers: the window and filters from the URL, and the report folded into what
 * each chart and table shows. Pure, so tests pin the arithmetic down.
 */
import type { TeamUsage, TimeSavedByJob, UsageDay, UsageReport } from '../api/usage';
import { utcDays, valuesByDay } from '../components/charts/series';

/** The windows offered; the URL says `days=7`. */
export const WINDOW_DAYS = [7, 30, 90] as const;
export const DEFAULT_WINDOW_DAYS = 30;

/** The teams drawn as their own line; the rest are summed as "other teams". */
export const MAX_TEAM_LINES = 6;

export interface UsageFilters {
  days: number;
  project: string;
  /** PROJECT/NAME */
  job: string;
  team: string;
}

/** The filters a URL names; a window that is not offered falls back to the default. */
export function readUsageFilters(params: URLSearchParams): UsageFilters {
  const days = Number(params.get('days'));
  return {
    days: (WINDOW_DAYS as readonly number[]).includes(days) ? days : DEFAULT_WINDOW_DAYS,
    project: params.get('project') ?? '',
    job: params.get('job') ?? '',
    team: params.get('team') ?? '',
  };
}

/** The query of GET /api/v1/usage for these filters. */
export function usageApiQuery(filters: UsageFilters) {
  return {
    since: `${filters.days}d`,
    project: filters.project || undefined,
    job: filters.job || undefined,
    team: filters.team || undefined,
  };
}

/** Totals over the window, from the per-day counts. */
export function usageTotals(days: readonly UsageDay[]) {
  const sum = (pick: (day: UsageDay) => number) => days.reduce((total, day) => total + pick(day), 0);
  const succeeded = sum((day) => day.succeeded);
  const failed = sum((day) => day.failed);
  return {
    executions: sum((day) => day.executions),
    succeeded,
    failed,
    other: sum((day) => day.other),
    /** Like the API's rates: succeeded / (succeeded + failed); null without any verdict. */
    successRate: succeeded + failed === 0 ? null : succeeded / (succeeded + failed),
  };
}

/** Every day of the report's window with its outcome counts; quiet days are zeros. */
export function outcomesPerDay(report: Pick<UsageReport, 'window' | 'days'>) {
  const days = utcDays(report.window.since, report.window.until);
  const count = (pick: (day: UsageDay) => number) => valuesByDay(days, report.days, pick, 0) as number[];
  return {
    days,
    succeeded: count((day) => day.succeeded),
    failed: count((day) => day.failed),
    other: count((day) => day.other),
    /** Queued, running or awaiting approval when the report was made. */
    unfinished: count((day) => day.executions - day.succeeded - day.failed - day.other),
  };
}

/** Success rate per day in percent; null on days without a succeeded or failed execution. */
export function successRatePerDay(report: Pick<UsageReport, 'window' | 'days'>): (number | null)[] {
  const days = utcDays(report.window.since, report.window.until);
  return valuesByDay(
    days,
    report.days,
    (day) => (day.succeeded + day.failed === 0 ? null : (100 * day.succeeded) / (day.succeeded + day.failed)),
    null,
  );
}

/**
 * Executions per day for the busiest teams, each on every day of the window, and the remaining
 * teams summed as one line, so a chart stays readable with many teams.
 */
export function teamsPerDay(
  window: UsageReport['window'],
  teams: readonly TeamUsage[],
  limit = MAX_TEAM_LINES,
): { team: string; values: number[] }[] {
  const days = utcDays(window.since, window.until);
  const perDay = (team: TeamUsage) => valuesByDay(days, team.days, (day) => day.executions, 0) as number[];
  // The API lists teams busiest first.
  const drawn = teams.length > limit ? teams.slice(0, limit - 1) : teams;
  const lines = drawn.map((team) => ({ team: team.team, values: perDay(team) }));
  const rest = teams.slice(drawn.length);
  if (rest.length > 0) {
    const values = days.map((_day, index) => rest.reduce((sum, team) => sum + (perDay(team)[index] ?? 0), 0));
    lines.push({ team: `${rest.length} other teams`, values });
  }
  return lines;
}

/** The manual minutes a job declared per succeeded run, averaged over the window (it may change between revisions). */
export function manualMinutesPerRun(
  row: Pick<TimeSavedByJob, 'executions' | 'manualMinutes'>,
): number | null {
  return row.executions === 0 ? null : row.manualMinutes / row.executions;
}

/** 95 → "1 h 35 min", 12.5 → "13 min", -4 → "−4 min": minutes as a person reads them. */
export function formatMinutes(minutes: number): string {
  const sign = minutes < 0 ? '−' : '';
  const whole = Math.round(Math.abs(minutes));
  if (whole < 60) return `${sign}${whole} min`;
  const hours = Math.floor(whole / 60);
  const rest = whole % 60;
  return `${sign}${hours} h${rest === 0 ? '' : ` ${String(rest).padStart(2, '0')} min`}`;
}
