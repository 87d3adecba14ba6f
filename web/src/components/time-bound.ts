/**
 * Time bounds as the API takes them (`since`, `until`): an ISO time, or a duration meaning that
 * long ago (`7d`). Checked here first so a typo gets its message next to the field at once; the
 * API checks again and its 400 names the same field.
 */

import { isDuration } from '../../../src/contract/time.js';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}/;

/** The usual windows, as durations so a bookmarked link keeps meaning "the last 7 days". */
export const TIME_PRESETS = [
  { label: 'Last 24 h', value: '24h' },
  { label: 'Last 7 d', value: '7d' },
  { label: 'Last 30 d', value: '30d' },
] as const;

/** What is wrong with a time bound as typed, or null when the API will accept it (empty = no bound). */
export function timeBoundProblem(text: string): string | null {
  const value = text.trim();
  if (value === '' || isDuration(value)) return null;
  if (ISO_DATE.test(value) && !Number.isNaN(Date.parse(value))) return null;
  return 'write a time (2025-03-14 or 2025-03-14T09:00) or a duration ago (12h, 7d)';
}

/** "last 7 d", "since 2025-03-14 until 2025-03-15", "all time": the range in words, for headings and empty states. */
export function describeTimeRange(since: string, until: string): string {
  const preset = TIME_PRESETS.find((item) => item.value === since);
  const from = preset && !until ? preset.label.toLowerCase() : since ? `since ${since}` : '';
  const to = until ? `until ${until}` : '';
  return [from, to].filter(Boolean).join(' ') || 'all time';
}

/** The filter a refused request's field path names: `querystring.since` → `since`. */
export function fieldOfProblem(path: string): string {
  return path.replace(/^querystring\./, '');
}

const HAS_ZONE = /(?:Z|[+-]\d{2}:?\d{2})$/i;

/**
 * The bound to send to the API. Durations and times with a zone go as written; a date or time
 * without one means the person's own clock (the server would read it in its own zone, or as UTC).
 */
export function apiTimeBound(text: string): string | undefined {
  const value = text.trim();
  if (value === '') return undefined;
  if (isDuration(value) || HAS_ZONE.test(value) || !ISO_DATE.test(value)) return value;
  // `new Date('2025-03-14')` is UTC midnight by the standard; with a time it is local.
  const local = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00` : value);
  return Number.isNaN(local.getTime()) ? value : local.toISOString();
}
