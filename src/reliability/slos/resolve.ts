/**
 * Reads a set of SLO documents — Baton `kind: SLO`, OpenSLO v1 documents of every kind, Sloth
 * `prometheus/v1` files — into one normalized model, resolving references by name (an SLO's
 * `indicatorRef` to an SLI, a `metricSourceRef` to a DataSource, an `alertPolicyRef` to an
 * AlertPolicy and its `conditionRef`/`targetRef`s). Pure: the caller hands in every document that
 * may be referred to (those applied now and those stored) and the Baton Services that exist.
 *
 * Every document's problems are reported, not the first document's only, each at a document and
 * field path. A document whose shape is wrong (its schema) is reported for that alone; a document
 * that refers to a broken one is not reported again for it.
 *
 * Owners: an OpenSLO Service has no owner field. Its owner is the Baton Service of the same name
 * when one exists, else its `baton.dev/owner` annotation, else it has none (`{kind: 'none'}`),
 * which the service list shows rather than hiding.
 */
import type { z } from 'zod';
import { resourceName } from '../../platform/documents/fields.js';
import {
  batonSloDocument,
  MAX_SLO_DOCUMENTS,
  OPENSLO_KINDS,
  type BatonSloDocument,
  type OpenSloKind,
  type OpenSloSloDocument,
} from './documents.js';
import { GOOGLE_ALERT_WINDOWS, type AlertSeverity } from './alert-windows.js';
import { shown } from './errors.js';
import { parseSloMath, type SloMath } from './evaluate.js';
import { Findings, under, type At } from './findings.js';
import {
  sloKey,
  type AlertConditionModel,
  type AlertPolicyModel,
  type Indicator,
  type NotificationTargetModel,
  type ObjectiveSource,
  type ServiceModel,
  type SloModel,
  type SloReading,
} from './model.js';
import { shortestPeriodMs } from './objective.js';
import {
  missingReference,
  readAlertCondition,
  readAlertPolicy,
  readDataSource,
  readIndicator,
  readNotificationTarget,
  type DataSourceModel,
  type DataSources,
} from './openslo.js';
import { isSlothDocument, readSlothDocument, slothDocument, type SlothDocument } from './sloth.js';
import { parseTimeWindow } from './window.js';

/** The annotation that names the owning team of an OpenSLO Service. */
export const OWNER_ANNOTATION = 'baton.dev/owner';

export interface SloReadingContext {
  /** Baton Services (stored, or in the same apply) by name, with their owning team. */
  readonly batonServices?: ReadonlyMap<string, { owner: string }>;
}

/** The OpenSLO documents of one reading, by kind and name. */
type OpenSloByKind = {
  readonly [K in OpenSloKind]: Map<string, { at: At; value: z.output<(typeof OPENSLO_KINDS)[K]> }>;
};

interface Classified {
  readonly baton: { at: At; value: BatonSloDocument }[];
  readonly sloth: { at: At; value: SlothDocument }[];
  readonly openslo: OpenSloByKind;
}

/** A YAML document that is a list of documents (as the OpenSLO go-sdk's examples are), as its items. */
export function splitDocumentList(value: unknown): { path: (string | number)[]; value: unknown }[] {
  return Array.isArray(value)
    ? value.map((item, index) => ({ path: [index], value: item }))
    : [{ path: [], value }];
}

/** Read SLO documents (each a parsed YAML document) into SLOs and services, with every problem and warning. */
export function readSloDocuments(documents: readonly unknown[], context: SloReadingContext = {}): SloReading {
  const findings = new Findings();
  const batonServices = context.batonServices ?? new Map<string, { owner: string }>();
  if (documents.length > MAX_SLO_DOCUMENTS) {
    findings.problem({ document: MAX_SLO_DOCUMENTS, path: [] }, `too many SLO documents in one reading`, {
      expected: `at most ${MAX_SLO_DOCUMENTS}`,
      found: String(documents.length),
    });
    return { slos: [], services: [], problems: findings.problems, warnings: findings.warnings };
  }
  const classified = classify(documents, findings);

  // Leaves first (DataSources, conditions, targets), then what refers to them.
  const dataSources = new Map<string, DataSourceModel | undefined>();
  for (const [name, { at, value }] of classified.openslo.DataSource) {
    dataSources.set(name, readDataSource(value, at, findings));
  }
  const conditions = new Map<string, AlertConditionModel | undefined>();
  for (const [name, { at, value }] of classified.openslo.AlertCondition) {
    conditions.set(name, readAlertCondition(name, value.spec, under(at, 'spec'), findings));
  }
  const targets = new Map<string, NotificationTargetModel>();
  for (const [name, { value }] of classified.openslo.AlertNotificationTarget) {
    targets.set(name, readNotificationTarget(name, value.spec));
  }
  const policies = new Map<string, AlertPolicyModel | undefined>();
  for (const [name, { at, value }] of classified.openslo.AlertPolicy) {
    policies.set(
      name,
      readAlertPolicy(name, value.spec, under(at, 'spec'), { conditions, targets }, findings),
    );
  }
  const indicators = new Map<string, Indicator | undefined>();
  for (const [name, { at, value }] of classified.openslo.SLI) {
    indicators.set(name, readIndicator(value.spec, name, under(at, 'spec'), dataSources, findings));
  }

  const services = new Map<string, ServiceModel>();
  for (const [name, { at, value: service }] of classified.openslo.Service) {
    services.set(name, {
      name,
      document: at.document,
      ...(service.spec.description !== undefined ? { description: service.spec.description } : {}),
      owner: openSloOwner(
        service.metadata.annotations?.[OWNER_ANNOTATION],
        name,
        at,
        batonServices,
        findings,
      ),
    });
  }

  const slos: SloModel[] = [];
  // A Sloth file describes its own service; the first description of a service wins.
  for (const { at, value } of classified.sloth) {
    const read = readSlothDocument(value, at, batonServices, findings);
    if (!services.has(read.service.name)) services.set(read.service.name, read.service);
    slos.push(...read.slos);
  }
  const references: References = { dataSources, indicators, policies, conditions, targets };
  const sloDocuments: { at: At; value: SloDocument; format: 'baton/v1' | 'openslo/v1' }[] = [
    ...classified.baton.map((entry) => ({ ...entry, format: 'baton/v1' as const })),
    ...[...classified.openslo.SLO.values()].map((entry) => ({
      at: entry.at,
      value: entry.value,
      format: 'openslo/v1' as const,
    })),
  ];
  for (const { at, value, format } of sloDocuments) {
    const name = value.spec.service;
    const baton = batonServices.get(name);
    if (!services.has(name) && baton) {
      services.set(name, { name, owner: { kind: 'team', team: baton.owner, from: 'baton-service' } });
    }
    if (!services.has(name)) {
      const otherwise = 'a Service document (openslo/v1 or baton/v1) with that name';
      missingReference(
        findings,
        under(at, 'spec', 'service'),
        'service',
        name,
        [...services.keys(), ...batonServices.keys()],
        otherwise,
      );
    }
    const slo = readSlo(value, format, at, references, findings);
    if (slo) slos.push(slo);
  }
  checkUniqueSlos(slos, findings);
  return {
    slos: findings.problems.length ? [] : slos,
    services: findings.problems.length ? [] : [...services.values()],
    problems: findings.problems,
    warnings: findings.warnings,
  };
}

function openSloOwner(
  annotation: string | undefined,
  name: string,
  at: At,
  batonServices: ReadonlyMap<string, { owner: string }>,
  findings: Findings,
): ServiceModel['owner'] {
  const annotationAt = under(at, 'metadata', 'annotations', OWNER_ANNOTATION);
  const baton = batonServices.get(name);
  if (annotation !== undefined) {
    if (!resourceName.safeParse(annotation).success) {
      findings.problem(annotationAt, `${OWNER_ANNOTATION} names a team`, {
        expected: 'a team name: lowercase letters, digits and dashes, at most 63 characters',
        found: shown(annotation),
      });
    } else if (baton && baton.owner !== annotation) {
      findings.warning(
        annotationAt,
        `service ${name} is owned by team ${baton.owner} (its Baton Service); the annotation is ignored`,
        { found: shown(annotation) },
      );
    }
  }
  if (baton) return { kind: 'team', team: baton.owner, from: 'baton-service' };
  if (annotation !== undefined && resourceName.safeParse(annotation).success) {
    return { kind: 'team', team: annotation, from: 'annotation' };
  }
  return { kind: 'none' };
}

/** Sort documents by format and kind, validate each against its schema, and index OpenSLO ones by name. */
function classify(documents: readonly unknown[], findings: Findings): Classified {
  const openslo = Object.fromEntries(Object.keys(OPENSLO_KINDS).map((kind) => [kind, new Map()]));
  const classified: Classified = { baton: [], sloth: [], openslo: openslo as unknown as OpenSloByKind };
  documents.forEach((value, document) => {
    const at: At = { document, path: [] };
    if (isSlothDocument(value)) {
      const parsed = slothDocument.safeParse(value);
      if (parsed.success) classified.sloth.push({ at, value: parsed.data });
      else findings.zod(at, parsed.error, value);
      return;
    }
    const head = (typeof value === 'object' && value !== null ? value : {}) as {
      apiVersion?: unknown;
      kind?: unknown;
    };
    if (head.apiVersion === 'baton/v1' && head.kind === 'SLO') {
      const parsed = batonSloDocument.safeParse(value);
      if (parsed.success) classified.baton.push({ at, value: parsed.data });
      else findings.zod(at, parsed.error, value);
      return;
    }
    if (head.apiVersion !== 'openslo/v1') {
      findings.problem(under(at, 'apiVersion'), 'is not an SLO document Baton reads', {
        expected: 'openslo/v1, baton/v1 (kind: SLO), or a Sloth file (version: prometheus/v1)',
        found: shown(head.apiVersion),
      });
      return;
    }
    const kind = head.kind;
    if (typeof kind !== 'string' || !Object.hasOwn(OPENSLO_KINDS, kind)) {
      findings.problem(under(at, 'kind'), 'is not an OpenSLO v1 kind', {
        expected: `one of ${Object.keys(OPENSLO_KINDS).join(', ')}`,
        found: shown(kind),
      });
      return;
    }
    const parsed = OPENSLO_KINDS[kind as OpenSloKind].safeParse(value);
    if (!parsed.success) {
      findings.zod(at, parsed.error, value);
      return;
    }
    const byName: Map<string, { at: At; value: unknown }> = classified.openslo[kind as OpenSloKind];
    const name = parsed.data.metadata.name;
    const earlier = byName.get(name);
    if (earlier) {
      findings.problem(
        under(at, 'metadata', 'name'),
        `${kind} ${name} is also defined in document ${earlier.at.document + 1}`,
      );
      return;
    }
    byName.set(name, { at, value: parsed.data });
  });
  return classified;
}

interface References {
  readonly dataSources: DataSources;
  readonly indicators: ReadonlyMap<string, Indicator | undefined>;
  readonly policies: ReadonlyMap<string, AlertPolicyModel | undefined>;
  readonly conditions: ReadonlyMap<string, AlertConditionModel | undefined>;
  readonly targets: ReadonlyMap<string, NotificationTargetModel>;
}

type SloDocument = BatonSloDocument | OpenSloSloDocument;

/** One baton/v1 or openslo/v1 SLO, with its indicators and alert policies resolved. */
function readSlo(
  document: SloDocument,
  format: 'baton/v1' | 'openslo/v1',
  at: At,
  references: References,
  findings: Findings,
): SloModel | undefined {
  const specAt = under(at, 'spec');
  const spec = document.spec;
  const before = findings.problems.length;
  const indicators = readObjectiveIndicators(spec, specAt, references, findings);
  const math = readMath(document, format, specAt, findings);
  const alertPolicies =
    'alertPolicies' in spec ? readSloAlertPolicies(spec.alertPolicies, specAt, references, findings) : [];
  if (!indicators || !math || !alertPolicies || findings.problems.length > before) return undefined;
  const objectives: ObjectiveSource[] = [];
  spec.objectives.forEach((objective, index) => {
    const objectiveAt = under(specAt, 'objectives', index);
    const indicator = indicators[index]!;
    const isThreshold = indicator.measure.kind === 'prometheus-threshold';
    if (isThreshold) {
      if (objective.op === undefined || objective.value === undefined) {
        findings.problem(
          under(objectiveAt, objective.op === undefined ? 'op' : 'value'),
          'is required for a threshold metric',
          { expected: 'op: lte | gte | lt | gt and a numeric value' },
        );
        return;
      }
    } else if (objective.op !== undefined || objective.value !== undefined) {
      // The go-sdk refuses these on a ratio metric, but the spec's and the go-sdk's own examples
      // write them: accepted, and said to mean nothing.
      findings.warning(
        under(objectiveAt, objective.op !== undefined ? 'op' : 'value'),
        'op and value apply to threshold metrics; on this indicator they are ignored',
        { found: shown(objective.op ?? objective.value) },
      );
    }
    objectives.push({
      ...(objective.displayName !== undefined ? { displayName: objective.displayName } : {}),
      indicator,
      ...(isThreshold ? { threshold: { op: objective.op!, value: objective.value! } } : {}),
    });
  });
  if (findings.problems.length > before) return undefined;
  const metadata = document.metadata;
  return {
    format,
    document: at.document,
    name: metadata.name,
    ...(metadata.displayName !== undefined ? { displayName: metadata.displayName } : {}),
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    ...('project' in metadata && metadata.project !== undefined ? { project: metadata.project } : {}),
    service: spec.service,
    labels: flattenLabels(metadata.labels),
    math,
    objectives,
    alertPolicies,
  };
}

/**
 * The indicator of each objective: the SLO's own (`indicator` or `indicatorRef`, exactly one),
 * or, in a composite SLO, each objective's own, and then the SLO has none.
 */
function readObjectiveIndicators(
  spec: SloDocument['spec'],
  specAt: At,
  references: References,
  findings: Findings,
): Indicator[] | undefined {
  const sloLevel = spec.indicator !== undefined || spec.indicatorRef !== undefined;
  const perObjective = spec.objectives.some(
    (objective) => objective.indicator !== undefined || objective.indicatorRef !== undefined,
  );
  if (sloLevel && perObjective) {
    const index = spec.objectives.findIndex(
      (objective) => objective.indicator !== undefined || objective.indicatorRef !== undefined,
    );
    findings.problem(
      under(specAt, 'objectives', index),
      'an objective has its own indicator only in a composite SLO, which has none of its own',
      { expected: 'the indicator on the SLO, or on every objective (with compositeWeight)' },
    );
    return undefined;
  }
  if (!sloLevel && !perObjective) {
    findings.problem(specAt, 'an SLO needs exactly one of indicator and indicatorRef', {
      expected: 'indicator (inline SLI) or indicatorRef (an SLI name)',
      found: 'neither',
    });
    return undefined;
  }
  if (sloLevel) {
    const indicator = oneIndicator(spec, specAt, references, findings);
    return indicator ? spec.objectives.map(() => indicator) : undefined;
  }
  const indicators: Indicator[] = [];
  let ok = true;
  spec.objectives.forEach((objective, index) => {
    const indicator = oneIndicator(objective, under(specAt, 'objectives', index), references, findings);
    if (indicator) indicators.push(indicator);
    else ok = false;
  });
  return ok ? indicators : undefined;
}

function oneIndicator(
  holder: { indicator?: SloDocument['spec']['indicator']; indicatorRef?: string },
  at: At,
  references: References,
  findings: Findings,
): Indicator | undefined {
  if (holder.indicator !== undefined && holder.indicatorRef !== undefined) {
    findings.problem(under(at, 'indicatorRef'), 'exactly one of indicator and indicatorRef', {
      expected: 'indicator or indicatorRef',
      found: 'both',
    });
    return undefined;
  }
  if (holder.indicator === undefined && holder.indicatorRef === undefined) {
    findings.problem(at, 'every objective of a composite SLO has exactly one of indicator and indicatorRef', {
      expected: 'indicator or indicatorRef',
      found: 'neither',
    });
    return undefined;
  }
  if (holder.indicator !== undefined) {
    const inline = holder.indicator;
    return readIndicator(
      inline.spec,
      inline.metadata?.name,
      under(at, 'indicator', 'spec'),
      references.dataSources,
      findings,
    );
  }
  const name = holder.indicatorRef!;
  missingReference(findings, under(at, 'indicatorRef'), 'SLI', name, references.indicators.keys());
  return references.indicators.get(name); // undefined when the SLI's own document has problems
}

/**
 * The window, method and objectives through the SLO math. Baton's own SLOs say which of the
 * multi-window alerts they want; OpenSLO ones cannot, so an alert whose long window does not fit
 * in the SLO's window (a 3-day ticket window on a 1-day SLO) is turned off, with a warning.
 */
function readMath(
  document: SloDocument,
  format: 'baton/v1' | 'openslo/v1',
  specAt: At,
  findings: Findings,
): SloMath | undefined {
  const spec = document.spec;
  let alerting: { page?: boolean; ticket?: boolean } | undefined =
    'alerting' in spec ? spec.alerting : undefined;
  if (format === 'openslo/v1' && spec.timeWindow.length === 1) {
    const window = findings.catchSpec(specAt, () => parseTimeWindow(spec.timeWindow[0]!, 'timeWindow[0]'));
    if (!window) return undefined;
    const shortest = shortestPeriodMs(window);
    const off = new Set<AlertSeverity>();
    for (const w of GOOGLE_ALERT_WINDOWS) if (!(shortest > w.longWindowMs)) off.add(w.severity);
    for (const severity of off) {
      findings.warning(
        under(specAt, 'timeWindow', 0, 'duration'),
        `Baton's ${severity} burn-rate alerts need a longer window; they are off for this SLO`,
        { found: shown(spec.timeWindow[0]!.duration) },
      );
    }
    alerting = { page: !off.has('page'), ticket: !off.has('ticket') };
  }
  return findings.catchSpec(specAt, () =>
    parseSloMath({
      timeWindow: spec.timeWindow,
      budgetingMethod: spec.budgetingMethod,
      objectives: spec.objectives,
      ...(alerting ? { alerting } : {}),
    }),
  );
}

function readSloAlertPolicies(
  entries: OpenSloSloDocument['spec']['alertPolicies'],
  specAt: At,
  references: References,
  findings: Findings,
): AlertPolicyModel[] | undefined {
  const policies: AlertPolicyModel[] = [];
  let ok = true;
  entries.forEach((entry, index) => {
    const entryAt = under(specAt, 'alertPolicies', index);
    if ('alertPolicyRef' in entry) {
      const ref = entry.alertPolicyRef;
      if (
        missingReference(
          findings,
          under(entryAt, 'alertPolicyRef'),
          'AlertPolicy',
          ref,
          references.policies.keys(),
        )
      ) {
        ok = false;
        return;
      }
      const policy = references.policies.get(entry.alertPolicyRef);
      if (policy) policies.push(policy);
      else ok = false;
      return;
    }
    const policy = readAlertPolicy(
      entry.metadata.name,
      entry.spec,
      under(entryAt, 'spec'),
      { conditions: references.conditions, targets: references.targets },
      findings,
    );
    if (policy) policies.push(policy);
    else ok = false;
  });
  return ok ? policies : undefined;
}

/** OpenSLO label values may be lists; the model keeps one string per label, the list joined by commas. */
function flattenLabels(
  labels: Readonly<Record<string, string | readonly string[]>> | undefined,
): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels ?? {}))
    flat[key] = typeof value === 'string' ? value : value.join(',');
  return flat;
}

/** One SLO per service and name, whichever format wrote it. */
function checkUniqueSlos(slos: readonly SloModel[], findings: Findings): void {
  const seen = new Map<string, SloModel>();
  for (const slo of slos) {
    const key = sloKey(slo);
    const earlier = seen.get(key);
    if (earlier) {
      findings.problem(
        { document: slo.document, path: slo.format === 'prometheus/v1' ? ['slos'] : ['metadata', 'name'] },
        `SLO ${slo.name} of service ${slo.service} is also defined in document ${earlier.document + 1}`,
      );
    } else seen.set(key, slo);
  }
}
