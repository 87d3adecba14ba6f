/** How numbers, times and states read on the page. Pure, so tests can pin them down. */

/** 0.9731 → "97.3%"; null (nothing finished yet) → "—". */
export function formatRate(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return '—';
  // Rounded to a tenth first: 0.6 * 100 is 60.00000000000001, which must read "60%".
  const percent = Math.round(rate * 1000) / 10;
  // One failure in 10,000 runs is not 100%.
  if (percent === 100 && rate < 1) return '>99.9%';
  if (percent === 0 && rate > 0) return '<0.1%';
  return `${Number.isInteger(percent) ? percent : percent.toFixed(1)}%`;
}

/** "just now", "5 min ago", "3 h ago", "2 d ago", or the date for older times. */
export function formatAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const seconds = Math.round((now - Date.parse(iso)) / 1000);
  if (seconds < 45) return 'just now';
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
  if (seconds < 30 * 86_400) return `${Math.round(seconds / 86_400)} d ago`;
  return iso.slice(0, 10);
}

/** "due now", "in 40 s", "in 5 min", "in 3 h", "in 2 d": how long until a time to come. */
export function formatIn(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  if (seconds <= 0) return 'due now';
  if (seconds < 60) return `in ${seconds} s`;
  if (seconds < 3600) return `in ${Math.round(seconds / 60)} min`;
  if (seconds < 86_400) return `in ${Math.round(seconds / 3600)} h`;
  return `in ${Math.round(seconds / 86_400)} d`;
}

/** Local date and time to the second, for tooltips and detail pages. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** 1234567 → "1,234,567". */
export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

/** 1536 → "1.5 KiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** "timed_out" → "timed out". */
export function formatState(state: string): string {
  return state.replace(/_/g, ' ');
}

/** Time between two instants, or until now while the second is missing. */
export function elapsedMs(start: string | null, end: string | null, now = Date.now()): number | null {
  if (!start) return null;
  return (end ? Date.parse(end) : now) - Date.parse(start);
}
