/**
 * One line that says what an event is about, for lists (the API's `summary`) and the event page.
 * Pure and dependency-free: the web UI imports it too, so both read an event the same way.
 */

/** Labels that say most about an alert, shown first in its summary when present. */
const TELLING_LABELS = ['alertname', 'severity', 'instance', 'job', 'service', 'namespace', 'mountpoint'];

/**
 * One line that says what an event is about. An Alertmanager alert: its status, alert name and a
 * few labels (the telling ones first); an SLO alert: its status, severity, SLO and burn; a
 * generic JSON event: its first keys with short values.
 */
export function eventSummary(format: string, payload: Record<string, unknown>, maxParts = 4): string {
  // An SLO alert Baton raised: `firing page web-shop/availability: burn rate 15.2× over 1h …`.
  if (format === 'slo') {
    const text = (key: string) => (typeof payload[key] === 'string' ? (payload[key] as string) : '?');
    return `${text('status')} ${text('severity')} ${text('slo')}: ${text('summary')}`;
  }
  const labels = payload.labels;
  if (format === 'alertmanager' || (typeof payload.status === 'string' && isStringRecord(labels))) {
    const status = typeof payload.status === 'string' ? payload.status : 'alert';
    const pairs = isStringRecord(labels) ? Object.entries(labels) : [];
    const rank = (key: string) => {
      const index = TELLING_LABELS.indexOf(key);
      return index === -1 ? TELLING_LABELS.length : index;
    };
    const shown = pairs
      .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
      .slice(0, maxParts)
      .map(([key, value]) => `${key}=${value}`);
    const more = pairs.length - shown.length;
    return `${status}: ${shown.join(' ')}${more > 0 ? ` +${more} more` : ''}`.trim();
  }
  const entries = Object.entries(payload);
  if (entries.length === 0) return 'an empty object';
  const shown = entries.slice(0, maxParts).map(([key, value]) => `${key}=${shortValue(value)}`);
  const more = entries.length - shown.length;
  return `${shown.join(' ')}${more > 0 ? ` +${more} more` : ''}`;
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.values(value).every((item) => typeof item === 'string')
  );
}

/** A value in a few characters: strings as they are, objects and lists by their size. */
function shortValue(value: unknown, max = 32): string {
  if (typeof value === 'string') return value.length > max ? `${value.slice(0, max - 1)}…` : value;
  if (Array.isArray(value)) return `[${value.length}]`;
  if (value !== null && typeof value === 'object') return `{${Object.keys(value).length}}`;
  return String(value);
}
