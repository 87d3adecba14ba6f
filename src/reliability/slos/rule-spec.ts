/**
 * From the one SLO model to the input of the Prometheus rule writer (prometheus-rules.ts). Sloth
 * files already hold `{{.window}}` queries and map one to one. An OpenSLO ratio of counters names
 * instant vectors, so each is turned into a rate over the window: `rate(q[w])` when the query is a
 * bare selector, a subquery `rate((q)[w:])` otherwise (an aggregated counter has no range of its
 * own; the subquery costs more and loses counter resets inside the sum, which Prometheus cannot
 * see after aggregation either way).
 *
 * The rules Sloth writes count events over a rolling period of fixed length, with one objective.
 * An SLO that is anything else (a calendar window, Timeslices, a composite, a threshold metric)
 * is evaluated by Baton only, and is reported as skipped with why instead of getting rules that
 * would mean something else.
 */
import type { AlertSeverity } from './alert-windows.js';
import type { PrometheusAlertingSpec, PrometheusSli, PrometheusSloSpec } from './prometheus-rules.js';
import { formatOpensloDuration, isCalendarUnit } from './openslo-duration.js';
import type { Measure, PrometheusQuery, SloModel } from './model.js';

/** The alert name used when the document names none (Sloth's files may; OpenSLO and Baton's do not). */
export const DEFAULT_BURN_ALERT = 'SloErrorBudgetBurn';

export type SloRuleSpec =
  /** Rules can be written for it. */
  | { readonly kind: 'rules'; readonly spec: PrometheusSloSpec }
  /** Prometheus-backed, but Sloth's rules cannot express it. */
  | { readonly kind: 'skipped'; readonly reason: string }
  /** Not measured by Prometheus (executions, pushed counts): no rules to write. */
  | { readonly kind: 'not-prometheus' };

// A metric name with an optional label matcher and nothing else: `x_total{code!~"5.."}`.
const BARE_SELECTOR = /^\s*[A-Za-z_:][A-Za-z0-9_:]*\s*(\{[^{}]*\})?\s*$/;

/** The rule writer's input for one SLO, or why there is none. */
export function sloRuleSpec(model: SloModel): SloRuleSpec {
  const measures = model.objectives.map((objective) => objective.indicator.measure);
  if (!measures.some(isPrometheus)) return { kind: 'not-prometheus' };
  if (model.objectives.length !== 1) {
    return { kind: 'skipped', reason: 'a composite of several objectives (Baton evaluates it)' };
  }
  const { window, method } = model.math;
  if (window.kind !== 'rolling') {
    return { kind: 'skipped', reason: 'a calendar window (the rules need a rolling period)' };
  }
  if (isCalendarUnit(window.duration.unit)) {
    return {
      kind: 'skipped',
      reason: `a rolling window of ${formatOpensloDuration(window.duration)} (the rules need a fixed length: m h d w)`,
    };
  }
  if (method !== 'Occurrences') {
    return { kind: 'skipped', reason: `budgeting method ${method} (the rules count events: Occurrences)` };
  }
  const sli = prometheusSli(measures[0]!);
  if (typeof sli === 'string') return { kind: 'skipped', reason: sli };
  return {
    kind: 'rules',
    spec: {
      service: model.service,
      name: model.name,
      objective: { target: model.math.objectives[0]!.target },
      period: formatOpensloDuration(window.duration),
      sli,
      // OpenSLO labels are free-form (any key, lists joined); only Sloth's are Prometheus labels.
      ...(model.format === 'prometheus/v1' ? { labels: model.labels } : {}),
      ...alerting(model),
      source: model.format,
    },
  };
}

function isPrometheus(measure: Measure): boolean {
  return measure.kind.startsWith('prometheus-');
}

/** The SLI as an error ratio per `{{.window}}`, or why it cannot be one. */
function prometheusSli(measure: Measure): PrometheusSli | string {
  switch (measure.kind) {
    case 'prometheus-ratio': {
      if (measure.numerator.template === 'none' && !measure.counter) {
        return 'a ratio of gauges (counter: false) has no rate over a window';
      }
      const numerator = windowed(measure.numerator, 'rate');
      const total = windowed(measure.total, 'rate');
      const errorQuery = measure.count === 'bad' ? numerator : `(${total}) - (${numerator})`;
      return { events: { errorQuery, totalQuery: total } };
    }
    case 'prometheus-raw': {
      const ratio = windowed(measure.ratio, 'avg_over_time');
      return { raw: { errorRatioQuery: measure.rawType === 'failure' ? ratio : `1 - (${ratio})` } };
    }
    case 'prometheus-threshold':
      return 'a threshold metric (op and value) has no error ratio for the rules';
    default:
      return 'not measured by Prometheus';
  }
}

/** A query over `{{.window}}`: a Sloth query as written, an OpenSLO one wrapped in `fn`. */
function windowed(query: PrometheusQuery, fn: 'rate' | 'avg_over_time'): string {
  if (query.template === 'sloth-window') return query.query;
  const range = BARE_SELECTOR.test(query.query)
    ? `${query.query.trim()}[{{.window}}]`
    : `(${query.query})[{{.window}}:]`;
  return fn === 'rate' ? `sum(rate(${range}))` : `avg(avg_over_time(${range}))`;
}

/** Alerts for the severities the SLO enables, under Sloth's name and labels when it has them. */
function alerting(model: SloModel): { alerting?: PrometheusAlertingSpec } {
  const enabled = (severity: AlertSeverity) =>
    model.math.alertWindows.some((window) => window.severity === severity);
  if (!enabled('page') && !enabled('ticket')) return {};
  const sloth = model.prometheusAlerts;
  return {
    alerting: {
      name: sloth?.name ?? DEFAULT_BURN_ALERT,
      labels: sloth?.labels ?? {},
      annotations: sloth?.annotations ?? {},
      page: {
        enabled: enabled('page'),
        labels: sloth?.page.labels ?? {},
        annotations: sloth?.page.annotations ?? {},
      },
      ticket: {
        enabled: enabled('ticket'),
        labels: sloth?.ticket.labels ?? {},
        annotations: sloth?.ticket.annotations ?? {},
      },
    },
  };
}
