/** Shaping numbers for charts: pure, no uPlot and no DOM, so tests pin the shapes down. */

const DAY_MS = 86_400_000;

/**
 * Every UTC day the window touches, oldest first (`2025-03-14`): the API lists only days with
 * executions, and a chart must show the quiet days as zero, not skip them.
 */
export function utcDays(sinceIso: string, untilIso: string): string[] {
  const since = Date.parse(sinceIso);
  const until = Date.parse(untilIso);
  if (!Number.isFinite(since) || !Number.isFinite(until) || until <= since) return [];
  const first = Math.floor(since / DAY_MS);
  // `until` is exclusive: a window ending at midnight does not touch the day that starts then.
  const last = Math.floor((until - 1) / DAY_MS);
  const days: string[] = [];
  for (let day = first; day <= last; day += 1) days.push(new Date(day * DAY_MS).toISOString().slice(0, 10));
  return days;
}

/** Seconds since the epoch at the start of a UTC day (uPlot's time axis counts seconds). */
export function dayStartSeconds(day: string): number {
  return Date.parse(`${day}T00:00:00Z`) / 1000;
}

/** The values of rows on the given days, by day; days without a row get `missing`. */
export function valuesByDay<T extends { day: string }, M extends number | null>(
  days: readonly string[],
  rows: readonly T[],
  value: (row: T) => number | null,
  missing: M,
): (number | M | null)[] {
  const byDay = new Map(rows.map((row) => [row.day, row]));
  return days.map((day) => {
    const row = byDay.get(day);
    return row === undefined ? missing : value(row);
  });
}

/**
 * Stacks series for bars drawn over each other: the first result is the sum of all series (the
 * full bar, drawn first), each next one leaves out the series before it, so the last is the
 * last series alone. Drawn in that order, each series shows as its own band of the bar.
 */
export function stackForOverdraw(series: readonly (readonly number[])[]): number[][] {
  const stacked: number[][] = [];
  let running: number[] = [];
  for (let index = series.length - 1; index >= 0; index -= 1) {
    const values = series[index]!;
    running = values.map((value, at) => value + (running[at] ?? 0));
    stacked.unshift(running);
  }
  return stacked;
}

/** Tick steps for counts: never a fractional execution on an axis. */
export const COUNT_STEPS = [
  1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 25_000, 50_000, 100_000,
];

/** A label shortened to `max` characters with an ellipsis, for axes where space is short. */
export function shorten(label: string, max: number): string {
  if (label.length <= max) return label;
  return `${label.slice(0, Math.max(1, max - 1))}…`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A day tick on a time axis (seconds at UTC midnight) as `14 Mar`, the UTC day the API counted. */
export function formatDayTick(seconds: number): string {
  const date = new Date(seconds * 1000);
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]}`;
}

/** Tick steps for run times in milliseconds: round seconds, minutes and hours. */
export const DURATION_STEPS_MS = [
  100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000,
  1_800_000, 3_600_000, 7_200_000, 14_400_000, 21_600_000, 43_200_000, 86_400_000,
];

/** A run-time tick, short: `500 ms`, `30 s`, `2 min`, `1.5 h`. */
export function formatDurationTick(ms: number): string {
  if (ms === 0) return '0';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(1)} min`;
  return `${+(ms / 3_600_000).toFixed(1)} h`;
}
