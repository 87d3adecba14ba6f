/** How schedules read on the page: order, last fire, option values and plain words for cron. Pure. */
import type { Schedule } from '../api/schedules';

/** What runs soonest comes first; schedules with nothing to come, then disabled ones, go last. */
export function sortSchedules(schedules: readonly Schedule[]): Schedule[] {
  const rank = (schedule: Schedule) => (!schedule.enabled ? 2 : schedule.nextFireTimes.length === 0 ? 1 : 0);
  const next = (schedule: Schedule) =>
    schedule.nextFireTimes[0] ? Date.parse(schedule.nextFireTimes[0]) : 0;
  return [...schedules].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      next(a) - next(b) ||
      a.project.localeCompare(b.project) ||
      a.name.localeCompare(b.name),
  );
}

export interface LastFireSummary {
  /** A word for the badge. */
  label: string;
  /** `bad` when the owner was refused: the schedule does nothing until someone acts. */
  tone: 'ok' | 'muted' | 'bad';
  /** Why it was refused or skipped, or a note on a late run. */
  detail: string | null;
}

export function lastFireSummary(lastFire: Schedule['lastFire']): LastFireSummary | null {
  if (!lastFire) return null;
  switch (lastFire.outcome) {
    case 'queued':
      return { label: 'started', tone: 'ok', detail: lastFire.reason };
    case 'skipped_misfire':
      return {
        label: 'skipped',
        tone: 'muted',
        detail: lastFire.reason ?? 'its time passed while no server was up',
      };
    case 'refused':
      return { label: 'refused', tone: 'bad', detail: lastFire.reason };
  }
}

/** `env=prod`, `hosts=["a","b"]`: the option values a schedule passes, as a person would type them. */
export function optionPairs(options: Record<string, unknown>): string[] {
  return Object.entries(options).map(
    ([name, value]) => `${name}=${typeof value === 'string' ? value : JSON.stringify(value)}`,
  );
}

const MACROS: Record<string, string> = {
  '@yearly': 'once a year, on 1 January at 00:00',
  '@annually': 'once a year, on 1 January at 00:00',
  '@monthly': 'on the 1st of every month at 00:00',
  '@weekly': 'every Sunday at 00:00',
  '@daily': 'every day at 00:00',
  '@midnight': 'every day at 00:00',
  '@hourly': 'every hour, on the hour',
};

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const NUMBER = /^\d{1,2}$/;

/**
 * Plain words for the common shapes of cron (every second or minute, every N minutes, hourly at :MM, daily
 * or on one weekday at HH:MM); null for anything else, which the page shows as written.
 */
export function describeCron(cron: string): string | null {
  const text = cron.trim();
  if (MACROS[text]) return MACROS[text];
  const fields = text.split(/\s+/);
  // With seconds (6 fields), only every second and a zero second have a plain reading here.
  if (fields.length === 6 && fields.every((field) => field === '*')) return 'every second';
  if (fields.length === 6) {
    if (fields[0] !== '0') return null;
    fields.shift();
  }
  if (fields.length !== 5) return null;
  const [minute, hour, dayOfMonth, month, dayOfWeek] = fields as [string, string, string, string, string];
  if (dayOfMonth !== '*' || month !== '*') return null;
  const on = dayOfWeek === '*' ? null : NUMBER.test(dayOfWeek) ? DAYS[Number(dayOfWeek) % 7] : undefined;
  if (on === undefined) return null;
  const pad = (value: string) => value.padStart(2, '0');
  if (hour === '*' && on === null) {
    if (minute === '*') return 'every minute';
    const step = /^\*\/(\d+)$/.exec(minute);
    if (step) return `every ${step[1]} minutes`;
    if (NUMBER.test(minute)) return `every hour at :${pad(minute)}`;
    return null;
  }
  if (NUMBER.test(minute) && NUMBER.test(hour)) {
    return `${on ? `every ${on}` : 'every day'} at ${pad(hour)}:${pad(minute)}`;
  }
  return null;
}
