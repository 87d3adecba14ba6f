/**
 * The parts of OpenSLO v1 documents that need more than a schema: an SLI's metric combination
 * and sources (OpenSLO README "SLI", "Ratio Metric"; go-sdk `pkg/openslo/v1/sli.go`), and alert
 * conditions, policies and notification targets with their references.
 *
 * Metric source types Baton can read:
 * - `Prometheus`: `spec.query` in PromQL, sent to the DataSource named by `metricSourceRef`
 *   (`connectionDetails: {url, bearerTokenSecret?}`), or to the default Prometheus without one.
 * - `Baton`: Baton's own executions. `spec: {job?: project/name, states?: [...], finishedWithin?}`;
 *   `total` selects executions (a job, or every job of the SLO's service), `good` (or `bad`)
 *   selects the same ones and says what makes them count: "99% of restart-web runs succeed" is
 *   good `{job: ops/restart-web, states: [succeeded]}` over total `{job: ops/restart-web}`.
 * - `Pushed`: good (or bad) and total counts POSTed to Baton per time slice; no spec.
 * Any other type is an error naming it: an SLO Baton cannot evaluate must not look applied.
 */
import { MAX_DURATION_MS, parseDuration } from '../../contract/time.js';
import {
  batonMetricSpec,
  prometheusConnectionDetails,
  prometheusMetricSpec,
  type AlertPolicySpecDocument,
  type MetricSourceDocument,
  type OpenSloAlertConditionDocument,
  type OpenSloAlertNotificationTargetDocument,
  type OpenSloDataSourceDocument,
  type SliSpecDocument,
} from './documents.js';
import { shown } from './errors.js';
import { under, type At, type Findings } from './findings.js';
import type {
  AlertConditionModel,
  AlertPolicyModel,
  ExecutionCriteria,
  ExecutionSelector,
  Indicator,
  Measure,
  NotificationTargetModel,
  PrometheusDataSource,
  PrometheusQuery,
} from './model.js';
import { fixedDurationMs, parseOpensloDuration } from './openslo-duration.js';

/** The metric source types Baton reads, as documents write them. */
export const SUPPORTED_SOURCE_TYPES = ['Prometheus', 'Baton', 'Pushed'] as const;
export type SourceType = (typeof SUPPORTED_SOURCE_TYPES)[number];

const SUPPORTED_HINT =
  'Prometheus, Baton (its own executions) or Pushed (counts POSTed to Baton); other types are not read';

/** A DataSource, checked. */
export interface DataSourceModel {
  readonly type: SourceType;
  readonly prometheus?: PrometheusDataSource;
}

/** The DataSources an indicator may name; undefined for one whose own document has problems. */
export type DataSources = ReadonlyMap<string, DataSourceModel | undefined>;

/** Whether a type is one Baton reads; a problem naming it otherwise (with the right case when only that was off). */
export function checkSourceType(type: string, at: At, findings: Findings): SourceType | undefined {
  if ((SUPPORTED_SOURCE_TYPES as readonly string[]).includes(type)) return type as SourceType;
  const sameLetters = SUPPORTED_SOURCE_TYPES.find((known) => known.toLowerCase() === type.toLowerCase());
  findings.problem(
    at,
    sameLetters
      ? `metric source type "${type}" is not one Baton reads; did you mean "${sameLetters}"?`
      : `metric source type "${type}" is not one Baton can read`,
    { expected: SUPPORTED_HINT, found: shown(type) },
  );
  return undefined;
}

/** Check a DataSource document; undefined (with problems) when Baton cannot use it. */
export function readDataSource(
  document: OpenSloDataSourceDocument,
  at: At,
  findings: Findings,
): DataSourceModel | undefined {
  const type = checkSourceType(document.spec.type, under(at, 'spec', 'type'), findings);
  if (!type) return undefined;
  const detailsAt = under(at, 'spec', 'connectionDetails');
  if (type !== 'Prometheus') {
    if (Object.keys(document.spec.connectionDetails).length > 0) {
      findings.problem(detailsAt, `a ${type} data source has no connection details`, { expected: '{}' });
      return undefined;
    }
    return { type };
  }
  const details = prometheusConnectionDetails.safeParse(document.spec.connectionDetails);
  if (!details.success) {
    findings.zod(detailsAt, details.error, document.spec.connectionDetails);
    return undefined;
  }
  return {
    type,
    prometheus: {
      name: document.metadata.name,
      url: details.data.url,
      ...(details.data.bearerTokenSecret ? { bearerTokenSecret: details.data.bearerTokenSecret } : {}),
    },
  };
}

type ReadSource =
  | { type: 'Prometheus'; query: PrometheusQuery }
  | { type: 'Baton'; selector: ExecutionSelector; criteria: ExecutionCriteria }
  | { type: 'Pushed' };

/** One metric source: its type (written, or from the DataSource it names) and its spec for that type. */
function readSource(
  source: MetricSourceDocument,
  at: At,
  dataSources: DataSources,
  findings: Findings,
): ReadSource | undefined {
  let type: SourceType | undefined;
  let dataSource: PrometheusDataSource = {};
  if (source.metricSourceRef !== undefined) {
    const ref = source.metricSourceRef;
    const otherwise = 'a DataSource document with that name in the same apply';
    if (
      missingReference(
        findings,
        under(at, 'metricSourceRef'),
        'DataSource',
        ref,
        dataSources.keys(),
        otherwise,
      )
    ) {
      return undefined;
    }
    const named = dataSources.get(source.metricSourceRef);
    if (!named) return undefined; // its own problems are reported on its document
    type = named.type;
    dataSource = named.prometheus ?? { name: source.metricSourceRef };
    if (source.type !== undefined && source.type !== type) {
      findings.problem(
        under(at, 'type'),
        `type "${source.type}" differs from DataSource ${source.metricSourceRef}'s type "${type}"`,
        { expected: `"${type}" or no type (it comes from the DataSource)`, found: shown(source.type) },
      );
      return undefined;
    }
  } else if (source.type !== undefined) {
    type = checkSourceType(source.type, under(at, 'type'), findings);
    if (!type) return undefined;
  } else {
    findings.problem(at, 'a metric source needs a type or a metricSourceRef', {
      expected: 'type: Prometheus | Baton | Pushed, or metricSourceRef: a DataSource name',
    });
    return undefined;
  }
  const specAt = under(at, 'spec');
  const spec = source.spec ?? {};
  switch (type) {
    case 'Prometheus': {
      const parsed = prometheusMetricSpec.safeParse(spec);
      if (!parsed.success) {
        findings.zod(specAt, parsed.error, spec);
        return undefined;
      }
      return { type, query: { dataSource, query: parsed.data.query, template: 'none' } };
    }
    case 'Baton': {
      const parsed = batonMetricSpec.safeParse(spec);
      if (!parsed.success) {
        findings.zod(specAt, parsed.error, spec);
        return undefined;
      }
      const { job, states, finishedWithin } = parsed.data;
      let finishedWithinMs: number | undefined;
      if (finishedWithin !== undefined) {
        finishedWithinMs = parseDuration(finishedWithin);
        if (finishedWithinMs === undefined || finishedWithinMs <= 0 || finishedWithinMs > MAX_DURATION_MS) {
          findings.problem(under(specAt, 'finishedWithin'), 'is not a duration Baton can use', {
            expected: 'a positive duration such as 30s, 10m or 1h30m',
            found: shown(finishedWithin),
          });
          return undefined;
        }
      }
      const [project, name] = job ? (job.split('/') as [string, string]) : [];
      return {
        type,
        selector: project && name ? { job: { project, name } } : {},
        criteria: {
          ...(states ? { states } : {}),
          ...(finishedWithinMs !== undefined ? { finishedWithinMs } : {}),
        },
      };
    }
    case 'Pushed':
      if (Object.keys(spec).length > 0) {
        findings.problem(specAt, 'a Pushed source has no spec: the counts are POSTed to Baton', {
          expected: 'no spec',
        });
        return undefined;
      }
      return { type };
  }
}

/**
 * An SLI spec as an indicator: `thresholdMetric`, or `ratioMetric` with `good` or `bad` over
 * `total`, or `raw` with `rawType`; exactly one of each choice. `at` points at the spec.
 */
export function readIndicator(
  spec: SliSpecDocument,
  name: string | undefined,
  at: At,
  dataSources: DataSources,
  findings: Findings,
): Indicator | undefined {
  const measure = readMeasure(spec, at, dataSources, findings);
  if (!measure) return undefined;
  return {
    ...(name !== undefined ? { name } : {}),
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    measure,
  };
}

function readMeasure(
  spec: SliSpecDocument,
  at: At,
  dataSources: DataSources,
  findings: Findings,
): Measure | undefined {
  if ((spec.thresholdMetric === undefined) === (spec.ratioMetric === undefined)) {
    findings.problem(at, 'an SLI has exactly one of thresholdMetric and ratioMetric', {
      expected: 'thresholdMetric or ratioMetric',
      found: spec.thresholdMetric ? 'both' : 'neither',
    });
    return undefined;
  }
  if (spec.thresholdMetric) {
    const metricAt = under(at, 'thresholdMetric', 'metricSource');
    const source = readSource(spec.thresholdMetric.metricSource, metricAt, dataSources, findings);
    if (!source) return undefined;
    if (source.type !== 'Prometheus') {
      findings.problem(metricAt, `a threshold metric is read from Prometheus, not from ${source.type}`, {
        expected: 'a Prometheus source, or a ratioMetric',
      });
      return undefined;
    }
    return { kind: 'prometheus-threshold', metric: source.query };
  }
  const ratio = spec.ratioMetric!;
  const ratioAt = under(at, 'ratioMetric');
  if (ratio.raw !== undefined) {
    for (const field of ['good', 'bad', 'total'] as const) {
      if (ratio[field] !== undefined) {
        findings.problem(under(ratioAt, field), `raw is a precomputed ratio: no ${field} beside it`, {
          expected: 'raw with rawType, or good|bad with total',
        });
        return undefined;
      }
    }
    if (ratio.rawType === undefined) {
      findings.problem(under(ratioAt, 'rawType'), 'is required with raw', { expected: 'success or failure' });
      return undefined;
    }
    const sourceAt = under(ratioAt, 'raw', 'metricSource');
    const source = readSource(ratio.raw.metricSource, sourceAt, dataSources, findings);
    if (!source) return undefined;
    if (source.type !== 'Prometheus') {
      findings.problem(sourceAt, `a raw ratio is read from Prometheus, not from ${source.type}`, {
        expected: 'a Prometheus source, or good|bad with total',
      });
      return undefined;
    }
    return { kind: 'prometheus-raw', rawType: ratio.rawType, ratio: source.query };
  }
  if (ratio.rawType !== undefined) {
    findings.problem(under(ratioAt, 'rawType'), 'rawType goes with raw only', {
      expected: 'no rawType with good|bad and total',
    });
    return undefined;
  }
  if ((ratio.good === undefined) === (ratio.bad === undefined)) {
    findings.problem(ratioAt, 'a ratio metric has exactly one of good and bad', {
      expected: 'good or bad, with total',
      found: ratio.good ? 'both' : 'neither',
    });
    return undefined;
  }
  if (ratio.total === undefined) {
    findings.problem(under(ratioAt, 'total'), 'is required with good or bad', { expected: 'a metricSource' });
    return undefined;
  }
  const count = ratio.good !== undefined ? 'good' : 'bad';
  const numeratorAt = under(ratioAt, count, 'metricSource');
  const totalAt = under(ratioAt, 'total', 'metricSource');
  const numerator = readSource((ratio.good ?? ratio.bad)!.metricSource, numeratorAt, dataSources, findings);
  const total = readSource(ratio.total.metricSource, totalAt, dataSources, findings);
  if (!numerator || !total) return undefined;
  if (numerator.type !== total.type) {
    findings.problem(totalAt, `${count} and total come from one kind of source`, {
      expected: `a ${numerator.type} source, as ${count} is`,
      found: total.type,
    });
    return undefined;
  }
  if (numerator.type === 'Prometheus' && total.type === 'Prometheus') {
    return {
      kind: 'prometheus-ratio',
      counter: ratio.counter ?? false,
      count,
      numerator: numerator.query,
      total: total.query,
    };
  }
  if (numerator.type === 'Baton' && total.type === 'Baton') {
    if (total.criteria.states || total.criteria.finishedWithinMs !== undefined) {
      findings.problem(
        under(totalAt, 'spec'),
        `total counts every selected execution: states and finishedWithin belong on ${count}`,
        { expected: 'spec: {job?}' },
      );
      return undefined;
    }
    if (numerator.criteria.finishedWithinMs === undefined && !numerator.criteria.states) {
      findings.problem(
        under(numeratorAt, 'spec'),
        `${count} needs states or finishedWithin, or it equals total`,
        {
          expected: 'e.g. states: [succeeded], or finishedWithin: 10m',
        },
      );
      return undefined;
    }
    if (
      numerator.selector.job?.project !== total.selector.job?.project ||
      numerator.selector.job?.name !== total.selector.job?.name
    ) {
      findings.problem(under(numeratorAt, 'spec', 'job'), `${count} and total select the same executions`, {
        expected: total.selector.job
          ? `${total.selector.job.project}/${total.selector.job.name}`
          : 'no job, as total',
      });
      return undefined;
    }
    return { kind: 'executions', selector: total.selector, count, criteria: numerator.criteria };
  }
  return { kind: 'pushed', count };
}

/** An AlertCondition's spec, checked; `at` points at the spec. */
export function readAlertCondition(
  name: string,
  spec: OpenSloAlertConditionDocument['spec'],
  at: At,
  findings: Findings,
): AlertConditionModel | undefined {
  const conditionAt = under(at, 'condition');
  const lookbackWindowMs = findings.catchSpec(conditionAt, () =>
    fixedDurationMs(parseOpensloDuration(spec.condition.lookbackWindow, 'lookbackWindow'), 'lookbackWindow'),
  );
  const alertAfter = spec.condition.alertAfter;
  // The spec gives 0m as alertAfter's default; the duration parser refuses zero windows, so it is read here.
  const alertAfterMs =
    alertAfter === undefined || isZeroDuration(alertAfter)
      ? 0
      : findings.catchSpec(conditionAt, () =>
          fixedDurationMs(parseOpensloDuration(alertAfter, 'alertAfter'), 'alertAfter'),
        );
  if (lookbackWindowMs === undefined || alertAfterMs === undefined) return undefined;
  if (!Number.isFinite(spec.condition.threshold) || spec.condition.threshold <= 0) {
    findings.problem(under(conditionAt, 'threshold'), 'a burn rate threshold is above 0', {
      expected: 'a number greater than 0, e.g. 2 or 14.4',
      found: shown(spec.condition.threshold),
    });
    return undefined;
  }
  // Said at apply rather than dropped in silence: alerts come from the multi-window burn rates.
  findings.warning(
    conditionAt,
    'Baton does not evaluate this condition: it alerts on multi-window burn rates (page: 14.4× over 1h and 5m, or 6× over 6h and 30m; ticket: 3× over 1d and 2h, or 1× over 3d and 6h; scaled to the SLO window)',
    { expected: "the AlertPolicy's alertWhen… flags and notificationTargets, which Baton honours" },
  );
  return {
    name,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    severity: spec.severity,
    kind: 'burnrate',
    ...(spec.condition.op !== undefined ? { op: spec.condition.op } : {}),
    threshold: spec.condition.threshold,
    lookbackWindowMs,
    alertAfterMs,
  };
}

function isZeroDuration(text: string): boolean {
  const unit = text.at(-1) ?? '';
  const digits = text.slice(0, -1);
  return digits.length > 0 && 'mhdwMQY'.includes(unit) && [...digits].every((digit) => digit === '0');
}

/** Checked conditions and targets, by name, for policies to refer to. */
export interface AlertCatalog {
  readonly conditions: ReadonlyMap<string, AlertConditionModel | undefined>;
  readonly targets: ReadonlyMap<string, NotificationTargetModel>;
}

/** A notification target as the model holds it. */
export function readNotificationTarget(
  name: string,
  spec: OpenSloAlertNotificationTargetDocument['spec'],
): NotificationTargetModel {
  return {
    name,
    target: spec.target,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
  };
}

/** An AlertPolicy's spec with its conditions and targets resolved; `at` points at the spec. */
export function readAlertPolicy(
  name: string,
  spec: AlertPolicySpecDocument,
  at: At,
  catalog: AlertCatalog,
  findings: Findings,
): AlertPolicyModel | undefined {
  let ok = true;
  const conditions: AlertConditionModel[] = [];
  spec.conditions.forEach((entry, index) => {
    const entryAt = under(at, 'conditions', index);
    if ('conditionRef' in entry) {
      const ref = entry.conditionRef;
      if (
        missingReference(
          findings,
          under(entryAt, 'conditionRef'),
          'AlertCondition',
          ref,
          catalog.conditions.keys(),
        )
      ) {
        ok = false;
        return;
      }
      const condition = catalog.conditions.get(entry.conditionRef);
      if (condition) conditions.push(condition);
      else ok = false; // its own problems are reported on its document
      return;
    }
    const condition = readAlertCondition(entry.metadata.name, entry.spec, under(entryAt, 'spec'), findings);
    if (condition) conditions.push(condition);
    else ok = false;
  });
  const notificationTargets: NotificationTargetModel[] = [];
  spec.notificationTargets.forEach((entry, index) => {
    const entryAt = under(at, 'notificationTargets', index);
    if ('targetRef' in entry) {
      const ref = entry.targetRef;
      const kind = 'AlertNotificationTarget';
      if (missingReference(findings, under(entryAt, 'targetRef'), kind, ref, catalog.targets.keys())) {
        ok = false;
        return;
      }
      const target = catalog.targets.get(ref)!;
      notificationTargets.push(target);
      return;
    }
    notificationTargets.push(readNotificationTarget(entry.metadata.name, entry.spec));
  });
  if (!ok) return undefined;
  return {
    name,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    alertWhenNoData: spec.alertWhenNoData,
    alertWhenResolved: spec.alertWhenResolved,
    alertWhenBreaching: spec.alertWhenBreaching,
    conditions,
    notificationTargets,
  };
}

/**
 * Reports, at `at`, a reference to a `kind` document named `name` that no document defines, and
 * says whether it did. `known` are the names that are defined; `otherwise` says what to add when
 * there are none.
 */
export function missingReference(
  findings: Findings,
  at: At,
  kind: string,
  name: string,
  defined: Iterable<string>,
  otherwise = `a ${kind} document with that name`,
): boolean {
  const names = [...defined];
  if (names.includes(name)) return false;
  findings.problem(at, `no ${kind} named "${name}" is defined`, {
    expected: known(names, otherwise),
    found: shown(name),
  });
  return true;
}

/** "one of a, b" for a reference that matched nothing, or what to add when there is nothing to pick. */
export function known(names: Iterable<string>, otherwise: string): string {
  // A name may come from two places (a Baton Service and an OpenSLO Service of the same name).
  const list = [...new Set(names)];
  if (list.length === 0) return otherwise;
  const shownNames = list.slice(0, 10).join(', ');
  return `one of ${shownNames}${list.length > 10 ? ', …' : ''}`;
}
