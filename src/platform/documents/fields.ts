/**
 * Field schemas every kind of document shares: names of things (jobs, projects, teams, users,
 * services, policies) and durations. They live here, below every capability, so that access and
 * reliability documents do not borrow them from the job document.
 */
import { z } from 'zod';
import { formatDurationAsWritten, MAX_DURATION_MS, parseDuration } from '../../contract/time.js';

/** Lowercase letters, digits and dashes: safe in paths, URLs and resource names (`job/P/NAME`). */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]*$/;

export const resourceName = z
  .string()
  .max(63)
  .regex(NAME_PATTERN, 'must be lowercase letters, digits and dashes, starting with a letter or digit');

const DURATION_FORMAT = 'must be a duration such as 500ms, 30s, 5m, 1h or 1h30m';

/**
 * A duration of at most `max` (written as a duration, so the message reads as the field does).
 * Each field picks its own maximum, with the reason beside it; without a bound `99999999999999h`
 * passed the schema and then overflowed a PostgreSQL bigint or a timer at run time.
 */
export function durationUpTo(max: string) {
  const maxMs = parseDuration(max);
  if (maxMs === undefined) throw new Error(`durationUpTo: ${max} is not a duration`);
  return z.string().superRefine((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) ctx.addIssue({ code: 'custom', message: DURATION_FORMAT });
    else if (ms > maxMs) ctx.addIssue({ code: 'custom', message: `at most ${max}, got ${text}` });
  });
}

/** Any duration a document may hold, up to the ceiling every duration has (see MAX_DURATION_MS). */
export const duration = durationUpTo(formatDurationAsWritten(MAX_DURATION_MS));
