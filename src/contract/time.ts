/**
 * Time as the API, the CLI and the web share it: the one duration grammar (`500ms`, `30s`, `5m`,
 * `1h30m`, `7d`) and one formatter per audience. Pure: no `node:*`, nothing else from src/, so the
 * web imports it as it is.
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/**
 * The longest duration Baton takes anywhere (documents, token lifetimes, "since 7d"): ten years
 * is past any timeout, window, retention or lifetime anyone means, and its milliseconds (3.2e11)
 * sit far inside a JavaScript safe integer and a bigint column, so that a timestamp plus or minus
 * it cannot overflow (`99999999999999h` did, on PostgreSQL).
 */
export const MAX_DURATION_MS = 3650 * 86_400_000;

/** Whether text (surrounding blanks aside) is written in the duration grammar, whatever its size. */
export function isDuration(text: string): boolean {
  return DURATION.test(text.trim());
}

/** Milliseconds for a duration string, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!DURATION.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(PART)) total += Number(amount) * (UNIT_MS[unit!] ?? 0);
  return Math.round(total);
}

/**
 * A duration as a job document would write it, the shortest exact form that parses back:
 * `1m30s`, `250ms`. For limits and reasons in messages, which people copy into documents.
 */
export function formatDurationAsWritten(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (rest > 0 || parts.length === 0) parts.push(`${rest}s`);
  return parts.join('');
}

/**
 * A duration for a terminal table, at most two units with a fixed-width second one so columns
 * line up: `850ms`, `12.3s`, `3m04s`, `1h02m`, `2d05h`.
 */
export function formatDurationForCli(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 24 * 60) return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
  return `${Math.floor(minutes / 1440)}d${String(Math.floor((minutes % 1440) / 60)).padStart(2, '0')}h`;
}

/**
 * A duration for the page, in the unit a person would say with spaced units: `850 ms`, `1.23 s`,
 * `4 min 05 s`, `2 h 10 min`; "—" when there is none (not started, not measured).
 */
export function formatDurationForUi(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 3600) {
    const minutes = Math.floor(totalSeconds / 60);
    return `${minutes} min ${String(totalSeconds % 60).padStart(2, '0')} s`;
  }
  const totalMinutes = Math.round(totalSeconds / 60);
  return `${Math.floor(totalMinutes / 60)} h ${String(totalMinutes % 60).padStart(2, '0')} min`;
}
