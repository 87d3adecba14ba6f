/**
 * Prometheus recording and alerting rules for Prometheus-backed SLOs, with the series names,
 * labels, windows and alert expressions Sloth writes (slok/sloth `examples/_gen/*.yml`), so that
 * dashboards and alert routes written for Sloth's output work on Baton's unchanged:
 *
 * - `slo:sli_error:ratio_rate<w>` for every alert window (5m 30m 1h 2h 6h 1d 3d with the Google
 *   windows) from the SLI query with `{{.window}}` replaced, and `slo:sli_error:ratio_rate<period>`
 *   as the mean of the 5m ratios over the period (sum_over_time / count_over_time: a long range
 *   over a recorded series instead of a 30-day range over the raw counters);
 * - `slo:objective:ratio`, `slo:error_budget:ratio`, `slo:time_period:days`,
 *   `slo:current_burn_rate:ratio`, `slo:period_burn_rate:ratio`,
 *   `slo:period_error_budget_remaining:ratio`, `sloth_slo_info`;
 * - a page alert, (short > f × budget and long > f × budget) for its quick windows or its slow
 *   ones, and a ticket alert the same way, with the factors of `alert-windows.ts` (14.4 and 6,
 *   3 and 1 for 30 days; 13.44, 5.6, 2.8 and 0.9333… for 28).
 *
 * Names: the series labels stay Sloth's (`sloth_id`, `sloth_service`, `sloth_slo`,
 * `sloth_window`, `sloth_severity`, `sloth_objective`): they only say which SLO a series is, and
 * Sloth's dashboard selects on them. Two things are Baton's own, because Sloth's would claim
 * Sloth produced them: the group names (`baton-slo-…` for Sloth's `sloth-slo-…`) and, on
 * `sloth_slo_info`, `baton_spec` (the document the SLO came from) instead of `sloth_version`,
 * `sloth_mode` and `sloth_spec`. The error budget is written as its value (`vector(0.001)`, from
 * `errorBudgetFraction`) rather than Sloth's `vector(1-0.999)`, which Prometheus evaluates to
 * 0.0009999999999999432.
 *
 * Everything a user writes is checked here, since it lands inside YAML and PromQL: names and
 * label values are bounded and quoted as PromQL strings, label names follow Prometheus' grammar
 * and may not take the labels the rules set, and an SLI query must keep its brackets balanced
 * and hold no comment, so it cannot escape the parentheses it is wrapped in. The query's PromQL
 * itself is Prometheus' to judge (`promtool check rules`, or the data source at apply).
 */
import { stringify } from 'yaml';
import {
  alertWindows,
  GOOGLE_ALERT_WINDOWS,
  type AlertWindow,
  type AlertWindowSpec,
} from './alert-windows.js';
import { SloSpecError, shown } from './errors.js';
import { errorBudgetFraction, parseTarget, type ObjectiveSpec } from './objective.js';
import { fixedDurationMs, parseOpensloDuration } from './openslo-duration.js';

/** The SLI as Sloth's `prometheus/v1` writes it; every query holds `{{.window}}` where its range goes. */
export type PrometheusSli =
  | { readonly events: { readonly errorQuery: string; readonly totalQuery: string } }
  | { readonly raw: { readonly errorRatioQuery: string } };

/** One alert of an SLO: on unless `enabled: false`; labels and annotations add to the shared ones. */
export interface PrometheusAlertSpec {
  readonly enabled?: boolean;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** The alerts of an SLO: one name for both, as Sloth names them, told apart by `sloth_severity`. */
export interface PrometheusAlertingSpec {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly page?: PrometheusAlertSpec;
  readonly ticket?: PrometheusAlertSpec;
}

/** Where an SLO was written; it becomes `baton_spec` on `sloth_slo_info`. */
export type SloSourceSpec = 'baton/v1' | 'openslo/v1' | 'prometheus/v1';

/** A Prometheus-backed SLO, as plain data, before checking. */
export interface PrometheusSloSpec {
  readonly service: string;
  readonly name: string;
  /** `{ target: 0.999 }` or `{ targetPercent: 99.9 }`. */
  readonly objective: ObjectiveSpec;
  /** A fixed-length OpenSLO duration: `30d`, `28d`, `4w`. */
  readonly period: string;
  readonly sli: PrometheusSli;
  /** Added to every recorded series (Sloth's `labels`). */
  readonly labels?: Readonly<Record<string, string>>;
  /** No alert rules without it. */
  readonly alerting?: PrometheusAlertingSpec;
  /** The Google windows unless given; one quick and one slow per severity. */
  readonly alertWindows?: readonly AlertWindowSpec[];
  readonly source?: SloSourceSpec;
}

export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly (RecordingRule | AlertingRule)[];
}

/** A Prometheus rule file (`rule_files:` entry). */
export interface RuleFile {
  readonly groups: readonly RuleGroup[];
}

const ID_LABEL = 'sloth_id';
const SERVICE_LABEL = 'sloth_service';
const SLO_LABEL = 'sloth_slo';
const WINDOW_LABEL = 'sloth_window';
const SEVERITY_LABEL = 'sloth_severity';
const OBJECTIVE_LABEL = 'sloth_objective';
const SPEC_LABEL = 'baton_spec';
/** Labels the rules set themselves; a user label of the same name would break their selectors. */
const RESERVED_LABELS = new Set([
  ID_LABEL,
  SERVICE_LABEL,
  SLO_LABEL,
  WINDOW_LABEL,
  SEVERITY_LABEL,
  OBJECTIVE_LABEL,
  SPEC_LABEL,
]);

const SOURCES: readonly SloSourceSpec[] = ['baton/v1', 'openslo/v1', 'prometheus/v1'];

/** Bounds: generous for anything a person writes, small enough that a rule file stays readable. */
export const PROMETHEUS_RULE_LIMITS = {
  nameLength: 128,
  labels: 32,
  labelValueLength: 1024,
  annotationLength: 4096,
  queryLength: 8192,
  slos: 1000,
} as const;

const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ALERT_NAME = /^[A-Za-z_][A-Za-z0-9_:.-]*$/;
// Control characters (C0, DEL, C1) would make a name that prints as something else.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const WINDOW_PLACEHOLDER = /\{\{\s*\.window\s*\}\}/g;

const DAY_MS = 86_400_000;

/**
 * A length as Prometheus writes a duration (`model.Duration.String`), which is how Sloth names
 * its series: years and weeks only when they divide it exactly, then d h m s ms, so 28 days is
 * `4w` (`slo:sli_error:ratio_rate4w`) and 30 days `30d`.
 */
export function prometheusDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms <= 0)
    throw new SloSpecError('duration', 'a whole number of ms above 0', shown(ms));
  let rest = ms;
  let text = '';
  const units: [string, number, boolean][] = [
    ['y', 365 * DAY_MS, true],
    ['w', 7 * DAY_MS, true],
    ['d', DAY_MS, false],
    ['h', 3_600_000, false],
    ['m', 60_000, false],
    ['s', 1000, false],
    ['ms', 1, false],
  ];
  for (const [unit, unitMs, exactOnly] of units) {
    if (exactOnly && rest % unitMs !== 0) continue;
    const count = Math.floor(rest / unitMs);
    if (count > 0) {
      text += `${count}${unit}`;
      rest -= count * unitMs;
    }
  }
  return text;
}

/** A string as a PromQL double-quoted literal: JSON's escapes are Go's, which PromQL reads. */
export function promqlString(value: string): string {
  return JSON.stringify(value);
}

/** The rule groups of one SLO: SLI recordings, meta recordings, and alerts when any is on. */
export function sloRuleGroups(spec: PrometheusSloSpec, field = 'slo'): RuleGroup[] {
  const slo = checkSlo(spec, field);
  const groups: RuleGroup[] = [
    { name: `baton-slo-sli-recordings-${slo.id}`, rules: sliRecordings(slo) },
    { name: `baton-slo-meta-recordings-${slo.id}`, rules: metaRecordings(slo) },
  ];
  const alerts = alertRules(slo);
  if (alerts.length > 0) groups.push({ name: `baton-slo-alerts-${slo.id}`, rules: alerts });
  return groups;
}

/**
 * The rule file for several SLOs. Two SLOs with the same id (`service-name`, as Sloth forms it, so
 * `a-b`/`c` and `a`/`b-c` collide) are refused: their series and group names would be the same.
 */
export function prometheusRules(specs: readonly PrometheusSloSpec[]): RuleFile {
  if (specs.length > PROMETHEUS_RULE_LIMITS.slos) {
    throw new SloSpecError(
      'slos',
      `at most ${PROMETHEUS_RULE_LIMITS.slos} SLOs in one rule file`,
      String(specs.length),
    );
  }
  const seen = new Map<string, number>();
  const groups: RuleGroup[] = [];
  specs.forEach((spec, index) => {
    const field = `slos[${index}]`;
    const slo = sloRuleGroups(spec, field);
    const id = sloId(spec);
    const earlier = seen.get(id);
    if (earlier !== undefined) {
      throw new SloSpecError(
        `${field}.name`,
        `a service and name whose id (service-name) no other SLO here has (slos[${earlier}] is also ${shown(id)})`,
        shown(spec.name),
      );
    }
    seen.set(id, index);
    groups.push(...slo);
  });
  return { groups };
}

/** The rule file as YAML for Prometheus' `rule_files`, with a line saying it is generated. */
export function formatPrometheusRules(file: RuleFile): string {
  // lineWidth 0: no folding, so each expression reads as written.
  // No anchors either: every rule's labels are written out, as a reader expects.
  const body = stringify(file, { lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false });
  return `# Generated by Baton (baton slo rules). Edit the SLO, not this file.\n${body}`;
}

interface CheckedSlo {
  readonly id: string;
  readonly service: string;
  readonly name: string;
  readonly target: number;
  readonly budget: number;
  readonly periodMs: number;
  readonly windows: readonly AlertWindow[];
  readonly sli: PrometheusSli;
  readonly labels: Readonly<Record<string, string>>;
  readonly alerting?: PrometheusAlertingSpec;
  readonly source: SloSourceSpec;
}

function sloId(spec: PrometheusSloSpec): string {
  return `${spec.service}-${spec.name}`;
}

function checkSlo(spec: PrometheusSloSpec, field: string): CheckedSlo {
  const service = checkName(spec.service, `${field}.service`);
  const name = checkName(spec.name, `${field}.name`);
  if (typeof spec.objective !== 'object' || spec.objective === null) {
    throw new SloSpecError(`${field}.objective`, '{ target } or { targetPercent }', shown(spec.objective));
  }
  const target = parseTarget(spec.objective, `${field}.objective`);
  const periodField = `${field}.period`;
  const periodMs = fixedDurationMs(parseOpensloDuration(spec.period, periodField), periodField);
  const windowSpecs = spec.alertWindows ?? GOOGLE_ALERT_WINDOWS;
  checkWindowSet(windowSpecs, `${field}.alertWindows`);
  const windows = alertWindows(periodMs, windowSpecs, periodField);
  const sli = checkSli(spec.sli, `${field}.sli`);
  const labels = checkLabels(spec.labels, `${field}.labels`);
  if (spec.alerting !== undefined) checkAlerting(spec.alerting, `${field}.alerting`);
  const source = spec.source ?? 'baton/v1';
  if (!SOURCES.includes(source))
    throw new SloSpecError(`${field}.source`, `one of ${SOURCES.join(', ')}`, shown(source));
  return {
    id: `${service}-${name}`,
    service,
    name,
    // 99.9 / 100 is 0.9990000000000001 in binary; twelve decimals, as errorBudgetFraction rounds.
    target: Math.round(target * 1e12) / 1e12,
    budget: errorBudgetFraction(target),
    periodMs,
    windows,
    sli,
    labels,
    ...(spec.alerting === undefined ? {} : { alerting: spec.alerting }),
    source,
  };
}

function checkName(value: unknown, field: string): string {
  const expected = `a name of 1 to ${PROMETHEUS_RULE_LIMITS.nameLength} printable characters`;
  if (typeof value !== 'string' || value.length === 0 || value.length > PROMETHEUS_RULE_LIMITS.nameLength) {
    throw new SloSpecError(field, expected, shown(value));
  }
  if (CONTROL.test(value) || LONE_SURROGATE.test(value))
    throw new SloSpecError(field, expected, shown(value));
  return value;
}

function checkText(value: unknown, field: string, max: number, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max || LONE_SURROGATE.test(value)) {
    throw new SloSpecError(field, `${what} of 1 to ${max} characters`, shown(value));
  }
  return value;
}

function checkLabelName(name: string, field: string): void {
  if (!LABEL_NAME.test(name) || name.length > PROMETHEUS_RULE_LIMITS.nameLength) {
    throw new SloSpecError(
      field,
      'a Prometheus label name: letters, digits and _, not starting with a digit',
      shown(name),
    );
  }
  if (name.startsWith('__')) {
    throw new SloSpecError(
      field,
      'a label name not starting with __ (Prometheus reserves those)',
      shown(name),
    );
  }
}

/** User labels: valid names, none of the rules' own, bounded values. */
function checkLabels(labels: unknown, field: string): Readonly<Record<string, string>> {
  if (labels === undefined) return {};
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    throw new SloSpecError(field, 'a map of label names to strings', shown(labels));
  }
  const entries = Object.entries(labels);
  if (entries.length > PROMETHEUS_RULE_LIMITS.labels) {
    throw new SloSpecError(field, `at most ${PROMETHEUS_RULE_LIMITS.labels} labels`, String(entries.length));
  }
  for (const [name, value] of entries) {
    checkLabelName(name, `${field}.${name}`);
    if (RESERVED_LABELS.has(name)) {
      throw new SloSpecError(`${field}.${name}`, 'a label the rules do not set themselves', shown(name));
    }
    checkText(value, `${field}.${name}`, PROMETHEUS_RULE_LIMITS.labelValueLength, 'a label value');
  }
  return labels as Record<string, string>;
}

function checkAnnotations(annotations: unknown, field: string): void {
  if (annotations === undefined) return;
  if (typeof annotations !== 'object' || annotations === null || Array.isArray(annotations)) {
    throw new SloSpecError(field, 'a map of annotation names to strings', shown(annotations));
  }
  const entries = Object.entries(annotations);
  if (entries.length > PROMETHEUS_RULE_LIMITS.labels) {
    throw new SloSpecError(
      field,
      `at most ${PROMETHEUS_RULE_LIMITS.labels} annotations`,
      String(entries.length),
    );
  }
  for (const [name, value] of entries) {
    checkLabelName(name, `${field}.${name}`);
    checkText(value, `${field}.${name}`, PROMETHEUS_RULE_LIMITS.annotationLength, 'an annotation');
  }
}

function checkAlerting(alerting: PrometheusAlertingSpec, field: string): void {
  if (typeof alerting !== 'object' || alerting === null) {
    throw new SloSpecError(field, '{ name, labels?, annotations?, page?, ticket? }', shown(alerting));
  }
  const name: unknown = alerting.name;
  if (typeof name !== 'string' || !ALERT_NAME.test(name) || name.length > PROMETHEUS_RULE_LIMITS.nameLength) {
    throw new SloSpecError(
      `${field}.name`,
      `an alert name of letters, digits and _ : . - starting with a letter or _, up to ${PROMETHEUS_RULE_LIMITS.nameLength} characters`,
      shown(name),
    );
  }
  checkLabels(alerting.labels, `${field}.labels`);
  checkAnnotations(alerting.annotations, `${field}.annotations`);
  for (const severity of ['page', 'ticket'] as const) {
    const alert = alerting[severity];
    if (alert === undefined) continue;
    const at = `${field}.${severity}`;
    if (typeof alert !== 'object' || alert === null) {
      throw new SloSpecError(at, '{ enabled?, labels?, annotations? }', shown(alert));
    }
    if (alert.enabled !== undefined && typeof alert.enabled !== 'boolean') {
      throw new SloSpecError(`${at}.enabled`, 'true or false', shown(alert.enabled));
    }
    checkLabels(alert.labels, `${at}.labels`);
    checkAnnotations(alert.annotations, `${at}.annotations`);
  }
}

/** One quick and one slow window per severity, each a whole number of milliseconds. */
function checkWindowSet(windows: readonly AlertWindowSpec[], field: string): void {
  for (const severity of ['page', 'ticket'] as const) {
    for (const speed of ['quick', 'slow'] as const) {
      const count = windows.filter((w) => w.severity === severity && w.speed === speed).length;
      if (count !== 1) {
        throw new SloSpecError(field, `exactly one ${speed} ${severity} window`, String(count));
      }
    }
  }
  windows.forEach((window, index) => {
    for (const ms of [window.longWindowMs, window.shortWindowMs]) {
      if (!Number.isSafeInteger(ms) || ms <= 0) {
        throw new SloSpecError(
          `${field}[${index}]`,
          'windows of a whole number of milliseconds above 0',
          shown(ms),
        );
      }
    }
  });
}

function checkSli(sli: PrometheusSli, field: string): PrometheusSli {
  const expected = 'exactly one of events { errorQuery, totalQuery } and raw { errorRatioQuery }';
  if (typeof sli !== 'object' || sli === null) throw new SloSpecError(field, expected, shown(sli));
  const events: unknown = 'events' in sli ? sli.events : undefined;
  const raw: unknown = 'raw' in sli ? sli.raw : undefined;
  if ((events === undefined) === (raw === undefined)) {
    throw new SloSpecError(field, expected, events === undefined ? 'neither' : 'both');
  }
  if (events !== undefined) {
    if (typeof events !== 'object' || events === null) {
      throw new SloSpecError(`${field}.events`, '{ errorQuery, totalQuery }', shown(events));
    }
    const { errorQuery, totalQuery } = events as Record<string, unknown>;
    return {
      events: {
        errorQuery: checkQuery(errorQuery, `${field}.events.errorQuery`),
        totalQuery: checkQuery(totalQuery, `${field}.events.totalQuery`),
      },
    };
  }
  if (typeof raw !== 'object' || raw === null) {
    throw new SloSpecError(`${field}.raw`, '{ errorRatioQuery }', shown(raw));
  }
  const { errorRatioQuery } = raw as Record<string, unknown>;
  return { raw: { errorRatioQuery: checkQuery(errorRatioQuery, `${field}.raw.errorRatioQuery`) } };
}

/**
 * An SLI query: bounded, with `{{.window}}` and no other template action, brackets balanced
 * outside string literals and no `#` comment (which would swallow the closing parenthesis the
 * rule wraps it in).
 */
function checkQuery(query: unknown, field: string): string {
  const text = checkText(query, field, PROMETHEUS_RULE_LIMITS.queryLength, 'a PromQL query');
  if (!text.match(WINDOW_PLACEHOLDER)) {
    throw new SloSpecError(
      field,
      'a query with {{.window}} where its range goes, e.g. rate(x[{{.window}}]) (without it every window records the same ratio)',
      shown(text),
    );
  }
  const rendered = text.replace(WINDOW_PLACEHOLDER, '5m');
  if (rendered.includes('{{')) {
    throw new SloSpecError(field, 'no template action other than {{.window}}', shown(text));
  }
  const problem = bracketProblem(rendered);
  if (problem !== undefined) throw new SloSpecError(field, problem, shown(text));
  return text;
}

const CLOSERS: Readonly<Record<string, string>> = { ')': '(', ']': '[', '}': '{' };

/** What is wrong with a query's brackets, strings and comments, or undefined. Linear in its length. */
function bracketProblem(query: string): string | undefined {
  const open: string[] = [];
  for (let i = 0; i < query.length; i++) {
    const c = query[i]!;
    if (c === '"' || c === "'" || c === '`') {
      const end = stringEnd(query, i);
      if (end === undefined) return `a closed string literal (the one at character ${i + 1} is not closed)`;
      i = end;
    } else if (c === '#') {
      return 'no comment (#) in an SLI query';
    } else if (c === '(' || c === '[' || c === '{') {
      open.push(c);
    } else if (CLOSERS[c] !== undefined) {
      if (open.pop() !== CLOSERS[c])
        return `balanced brackets (the ${c} at character ${i + 1} closes nothing open)`;
    }
  }
  if (open.length > 0) return `balanced brackets (${open.length} left open)`;
  return undefined;
}

/** Index of the quote closing the string literal that opens at `start`; backquoted strings have no escapes. */
function stringEnd(query: string, start: number): number | undefined {
  const quote = query[start];
  for (let i = start + 1; i < query.length; i++) {
    const c = query[i];
    if (c === '\\' && quote !== '`') i++;
    else if (c === quote) return i;
  }
  return undefined;
}

function sorted(labels: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function idLabels(slo: CheckedSlo): Record<string, string> {
  return { [ID_LABEL]: slo.id, [SERVICE_LABEL]: slo.service, [SLO_LABEL]: slo.name };
}

/** `{sloth_id="…", sloth_service="…", sloth_slo="…"}`, values escaped. */
function selector(slo: CheckedSlo): string {
  const pairs = Object.entries(idLabels(slo)).map(([name, value]) => `${name}=${promqlString(value)}`);
  return `{${pairs.join(', ')}}`;
}

function errorSeries(windowMs: number): string {
  return `slo:sli_error:ratio_rate${prometheusDuration(windowMs)}`;
}

function renderQuery(query: string, windowMs: number): string {
  return query.replace(WINDOW_PLACEHOLDER, prometheusDuration(windowMs));
}

/** The windows the alerts read, shortest first, each once. */
function recordedWindows(slo: CheckedSlo): number[] {
  const lengths = new Set<number>();
  for (const window of slo.windows) {
    lengths.add(window.shortWindowMs);
    lengths.add(window.longWindowMs);
  }
  return [...lengths].sort((a, b) => a - b);
}

function sliRecordings(slo: CheckedSlo): RecordingRule[] {
  const rules: RecordingRule[] = recordedWindows(slo).map((windowMs) => {
    const expr =
      'events' in slo.sli
        ? `(${renderQuery(slo.sli.events.errorQuery, windowMs)})\n/\n(${renderQuery(slo.sli.events.totalQuery, windowMs)})\n`
        : `(${renderQuery(slo.sli.raw.errorRatioQuery, windowMs)})\n`;
    return {
      record: errorSeries(windowMs),
      expr,
      labels: sorted({ ...slo.labels, ...idLabels(slo), [WINDOW_LABEL]: prometheusDuration(windowMs) }),
    };
  });
  // The period's ratio from the shortest recorded series: the mean of its samples, the other
  // labels coming with it.
  const shortest = errorSeries(recordedWindows(slo)[0]!);
  const range = prometheusDuration(slo.periodMs);
  rules.push({
    record: errorSeries(slo.periodMs),
    expr:
      `sum_over_time(${shortest}${selector(slo)}[${range}])\n` +
      `/ ignoring (${WINDOW_LABEL})\n` +
      `count_over_time(${shortest}${selector(slo)}[${range}])\n`,
    labels: { [WINDOW_LABEL]: range },
  });
  return rules;
}

function burnRateExpr(slo: CheckedSlo, series: string): string {
  return (
    `${series}${selector(slo)}\n` +
    `/ on(${ID_LABEL}, ${SLO_LABEL}, ${SERVICE_LABEL}) group_left\n` +
    `slo:error_budget:ratio${selector(slo)}\n`
  );
}

function metaRecordings(slo: CheckedSlo): RecordingRule[] {
  const labels = sorted({ ...slo.labels, ...idLabels(slo) });
  const pageQuick = slo.windows.find((w) => w.severity === 'page' && w.speed === 'quick')!;
  const objectivePercent = Math.round(slo.target * 100 * 1e10) / 1e10;
  return [
    { record: 'slo:objective:ratio', expr: `vector(${slo.target})`, labels },
    { record: 'slo:error_budget:ratio', expr: `vector(${slo.budget})`, labels },
    { record: 'slo:time_period:days', expr: `vector(${slo.periodMs / DAY_MS})`, labels },
    {
      record: 'slo:current_burn_rate:ratio',
      expr: burnRateExpr(slo, errorSeries(pageQuick.shortWindowMs)),
      labels,
    },
    { record: 'slo:period_burn_rate:ratio', expr: burnRateExpr(slo, errorSeries(slo.periodMs)), labels },
    {
      record: 'slo:period_error_budget_remaining:ratio',
      expr: `1 - slo:period_burn_rate:ratio${selector(slo)}`,
      labels,
    },
    {
      record: 'sloth_slo_info',
      expr: 'vector(1)',
      labels: sorted({ ...labels, [OBJECTIVE_LABEL]: String(objectivePercent), [SPEC_LABEL]: slo.source }),
    },
  ];
}

function windowCondition(slo: CheckedSlo, window: AlertWindow): string {
  const threshold = `(${window.factor} * ${slo.budget})`;
  return (
    `(\n` +
    `    (${errorSeries(window.shortWindowMs)}${selector(slo)} > ${threshold})\n` +
    `    and ignoring (${WINDOW_LABEL})\n` +
    `    (${errorSeries(window.longWindowMs)}${selector(slo)} > ${threshold})\n` +
    `)`
  );
}

/** `more than 14.4× as fast as allowed over 1h and 5m`. */
function speedText(window: AlertWindow): string {
  const factor = Math.round(window.factor * 100) / 100;
  return `more than ${factor}× as fast as allowed over ${prometheusDuration(window.longWindowMs)} and ${prometheusDuration(window.shortWindowMs)}`;
}

function alertRules(slo: CheckedSlo): AlertingRule[] {
  const alerting = slo.alerting;
  if (alerting === undefined) return [];
  const rules: AlertingRule[] = [];
  for (const severity of ['page', 'ticket'] as const) {
    const alert = alerting[severity];
    if (alert?.enabled === false) continue;
    const quick = slo.windows.find((w) => w.severity === severity && w.speed === 'quick')!;
    const slow = slo.windows.find((w) => w.severity === severity && w.speed === 'slow')!;
    rules.push({
      alert: alerting.name,
      expr: `${windowCondition(slo, quick)}\nor ignoring (${WINDOW_LABEL})\n${windowCondition(slo, slow)}\n`,
      // The SLO's own labels come with the recorded series; only the alert's are added here.
      labels: sorted({ ...alerting.labels, ...alert?.labels, [SEVERITY_LABEL]: severity }),
      annotations: sorted({
        title: `{{$labels.${SERVICE_LABEL}}} / {{$labels.${SLO_LABEL}}}: error budget burning too fast (${severity})`,
        summary:
          `The SLO {{$labels.${SLO_LABEL}}} of {{$labels.${SERVICE_LABEL}}} is spending its error budget ` +
          `${speedText(quick)}, or ${speedText(slow)}.`,
        ...alerting.annotations,
        ...alert?.annotations,
      }),
    });
  }
  return rules;
}
