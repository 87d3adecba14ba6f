/**
 * Field schemas every kind of document shares: names of things (jobs, projects, teams, users,
 * services, policies) and durations. They live here, below every capability, so that access and
 * reliability documents do not borrow them from the job document.
 */
import { z } from 'zod';
import { parseDuration } from '../duration.js';

/** Lowercase letters, digits and dashes: safe in paths, URLs and resource names (`job/P/NAME`). */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]*$/;

export const resourceName = z
  .string()
  .max(63)
  .regex(NAME_PATTERN, 'must be lowercase letters, digits and dashes, starting with a letter or digit');

export const duration = z.string().refine((text) => parseDuration(text) !== undefined, {
  message: 'must be a duration such as 500ms, 30s, 5m, 1h or 1h30m',
});
