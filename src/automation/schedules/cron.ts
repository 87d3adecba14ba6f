/**
 * Cron expressions and time zones: our own validation, which names the field and column of a
 * mistake (croner's errors do not), and the fire times, which croner computes (time zones,
 * daylight saving, `L`, `W`, `#`). No I/O here.
 *
 * Accepted: 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first;
 * `*`, numbers, ranges `a-b`, steps `*\/n` and `a-b/n`, lists `a,b`; month and weekday names
 * (JAN, MON-FRI); `?` for any day of month or week; `L`, `LW` and `15W` in day of month; `5L`
 * (last Friday) and `MON#2` (second Monday) in day of week; 7 is Sunday as well as 0; and the
 * nicknames @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly. As in Vixie cron,
 * when both day of month and day of week are restricted, a day matching either one fires.
 */
import { Cron } from 'croner';
import { didYouMean } from '../../platform/suggest.js';

interface FieldRule {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const SECOND: FieldRule = { name: 'second', min: 0, max: 59 };
const MINUTE: FieldRule = { name: 'minute', min: 0, max: 59 };
const HOUR: FieldRule = { name: 'hour', min: 0, max: 23 };
const DAY_OF_MONTH: FieldRule = { name: 'day of month', min: 1, max: 31 };
const MONTH: FieldRule = {
  name: 'month',
  min: 1,
  max: 12,
  names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
};
/** 0 and 7 are both Sunday. */
const DAY_OF_WEEK: FieldRule = {
  name: 'day of week',
  min: 0,
  max: 7,
  names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'],
};

const FIVE_FIELDS = [MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK] as const;
const SIX_FIELDS = [SECOND, ...FIVE_FIELDS] as const;

const NICKNAMES = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

/** A token of the expression with its 1-based column, for messages. */
interface Token {
  text: string;
  column: number;
}

/** Splits on whitespace, keeping where each field starts. */
function fieldsOf(expression: string): Token[] {
  const tokens: Token[] = [];
  for (const match of expression.matchAll(/\S+/g)) tokens.push({ text: match[0], column: match.index + 1 });
  return tokens;
}

class CronSyntaxError extends Error {}

/** A number or a name of the field, as its numeric value; throws with what was wrong. */
function valueOf(rule: FieldRule, text: string): number {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    if (value < rule.min || value > rule.max) throw new CronSyntaxError(`must be ${rule.min}-${rule.max}`);
    return value;
  }
  if (rule.names) {
    const index = rule.names.indexOf(text.toUpperCase());
    if (index >= 0) return index + (rule === MONTH ? 1 : 0);
    throw new CronSyntaxError(
      `must be ${rule.min}-${rule.max} or a name (${rule.names[0]}-${rule.names.at(-1)})${didYouMean(text.toUpperCase(), rule.names)}`,
    );
  }
  throw new CronSyntaxError(`must be a number ${rule.min}-${rule.max}`);
}

/** Checks one comma-separated item of a field; throws with what was wrong. */
function checkItem(rule: FieldRule, item: string): void {
  if (item === '') throw new CronSyntaxError('is empty (two commas, or a comma at an end)');
  if (item === '?') {
    if (rule === DAY_OF_MONTH || rule === DAY_OF_WEEK) return;
    throw new CronSyntaxError('"?" is only for day of month or day of week: use *');
  }
  if (rule === DAY_OF_MONTH) {
    if (item === 'L' || item === 'LW') return;
    const weekday = /^(\d+)W$/.exec(item);
    if (weekday) return void valueOf(rule, weekday[1]!);
  }
  if (rule === DAY_OF_WEEK) {
    const last = /^(\w+?)L$/i.exec(item);
    if (last && item.toUpperCase() !== 'L') return void valueOf(rule, last[1]!);
    const nth = /^(\w+)#(\d+)$/.exec(item);
    if (nth) {
      valueOf(rule, nth[1]!);
      const n = Number(nth[2]);
      if (n < 1 || n > 5)
        throw new CronSyntaxError(`"#${nth[2]}" must be #1-#5 (the nth such weekday of the month)`);
      return;
    }
    if (item.toUpperCase() === 'L')
      throw new CronSyntaxError('"L" needs a weekday before it: 5L is the last Friday');
  }
  const [range, step, extra] = item.split('/');
  if (extra !== undefined) throw new CronSyntaxError('has more than one "/"');
  if (step !== undefined) {
    if (!/^\d+$/.test(step)) throw new CronSyntaxError(`step "${step}" must be a whole number`);
    const size = Number(step);
    const span = rule.max - rule.min + 1;
    if (size === 0) throw new CronSyntaxError('a step of 0 never advances');
    if (size > span)
      throw new CronSyntaxError(`step ${size} is larger than the field's range (${rule.min}-${rule.max})`);
    if (range !== '*' && !range!.includes('-')) {
      throw new CronSyntaxError(
        `a step needs * or a range before it: write */${step} or ${range}-${rule.max}/${step}`,
      );
    }
  }
  if (range === '*') return;
  const bounds = range!.split('-');
  if (bounds.length > 2) throw new CronSyntaxError('a range has one "-": a-b');
  const [from, to] = bounds.map((bound) => valueOf(rule, bound)) as [number, number | undefined];
  if (to !== undefined && from > to) {
    throw new CronSyntaxError(
      `range ${range} goes backwards: write the smaller value first (ranges do not wrap)`,
    );
  }
}

/**
 * What is wrong with a cron expression, naming the field, its value and its column:
 * `field 3 (day of month) "32" at column 5: must be 1-31`. Undefined when it is valid.
 */
export function cronProblem(expression: string): string | undefined {
  const trimmed = expression.trim();
  if (trimmed.startsWith('@')) {
    return NICKNAMES.includes(trimmed.toLowerCase())
      ? undefined
      : `unknown nickname "${trimmed}"${didYouMean(trimmed.toLowerCase(), NICKNAMES)}: use one of ${NICKNAMES.join(', ')}`;
  }
  const fields = fieldsOf(expression);
  if (fields.length !== 5 && fields.length !== 6) {
    return `has ${fields.length} field${fields.length === 1 ? '' : 's'}: expected 5 (minute hour day-of-month month day-of-week) or 6 (second first)`;
  }
  const rules = fields.length === 6 ? SIX_FIELDS : FIVE_FIELDS;
  for (const [index, field] of fields.entries()) {
    const rule = rules[index]!;
    let offset = 0;
    for (const item of field.text.split(',')) {
      try {
        checkItem(rule, item);
      } catch (error) {
        if (!(error instanceof CronSyntaxError)) throw error;
        const shown = item === '' ? field.text : item;
        return `field ${index + 1} (${rule.name}) "${shown}" at column ${field.column + (item === '' ? 0 : offset)}: ${error.message}`;
      }
      offset += item.length + 1;
    }
  }
  // Ours and croner's rules should agree; if croner still refuses, say so rather than store it.
  try {
    parse(expression, 'UTC');
  } catch (error) {
    return `is not accepted: ${(error as Error).message.replace(/^CronPattern: /, '')}`;
  }
  return undefined;
}

/** Every IANA zone name this runtime knows, and UTC. */
let knownZones: string[] | undefined;

/** What is wrong with a time zone name, with the closest known names. Undefined when valid. */
export function timeZoneProblem(zone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return undefined;
  } catch {
    knownZones ??= ['UTC', ...Intl.supportedValuesOf('timeZone')];
    return `unknown time zone "${zone}"${didYouMean(zone, knownZones)}: use an IANA name such as UTC, Europe/Paris or America/New_York`;
  }
}

function parse(expression: string, timezone: string): Cron {
  return new Cron(expression.trim(), { timezone, mode: '5-or-6-parts', paused: true });
}

/** Parsed expressions, shared by the scheduler and the listings (a few hundred distinct ones at most). */
const parsed = new Map<string, Cron>();
const PARSED_KEPT = 2000;

function cronOf(expression: string, timezone: string): Cron {
  const key = `${timezone}\n${expression}`;
  let cron = parsed.get(key);
  if (!cron) {
    cron = parse(expression, timezone);
    if (parsed.size >= PARSED_KEPT) parsed.delete(parsed.keys().next().value!);
    parsed.set(key, cron);
  }
  return cron;
}

/** The first fire time strictly after `after` (epoch ms), or undefined when there is none. */
export function nextFireTime(expression: string, timezone: string, after: number): number | undefined {
  return cronOf(expression, timezone).nextRun(new Date(after))?.getTime();
}

/** The next `count` fire times strictly after `after` (fewer when the expression runs out). */
export function nextFireTimes(expression: string, timezone: string, after: number, count: number): number[] {
  if (count <= 0) return [];
  return cronOf(expression, timezone)
    .nextRuns(count, new Date(after))
    .map((date) => date.getTime());
}
