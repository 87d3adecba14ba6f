/**
 * Sloth `prometheus/v1` files (slok/sloth, `pkg/prometheus/api/v1`): one service, its labels and
 * a list of SLOs, each with `events{error_query, total_query}` or `raw{error_ratio_query}` in
 * PromQL with `{{.window}}` where the rate window goes, and page and ticket alerts.
 *
 * Read into the same model as OpenSLO: a rolling 30-day window (Sloth's default period; the file
 * has no field for it), Occurrences, `objective` as a target percent (Sloth allows 100; Baton
 * refuses it, as a 100% target leaves no budget), the error query as `bad` over total. The
 * service's owner is its `owner` label, as Sloth's own examples write it (a Prometheus label
 * cannot hold the `baton.dev/owner` name OpenSLO documents use); a Baton Service of the same
 * name wins.
 */
import { z } from 'zod';
import { resourceName } from '../../platform/documents/fields.js';
import { sloName } from './documents.js';
import { parseSloMath } from './evaluate.js';
import { under, type At, type FieldPath, type Findings } from './findings.js';
import type { Measure, PrometheusQuery, ServiceModel, SloModel, SlothAlerting } from './model.js';

const promLabels = z
  .record(z.string().min(1).max(200), z.string().max(1000))
  .refine((map) => Object.keys(map).length <= 64, 'at most 64 labels');
const query = z.string().min(1).max(10_000);

const slothAlert = z.strictObject({
  disable: z.boolean().optional(),
  labels: promLabels.optional(),
  annotations: promLabels.optional(),
});

const slothSlo = z.strictObject({
  name: sloName,
  objective: z.number(),
  description: z.string().max(1050).optional(),
  labels: promLabels.optional(),
  sli: z.strictObject({
    events: z.strictObject({ error_query: query, total_query: query }).optional(),
    raw: z.strictObject({ error_ratio_query: query }).optional(),
    plugin: z
      .strictObject({ id: z.string().max(200), options: z.record(z.string(), z.unknown()).optional() })
      .optional(),
  }),
  alerting: z
    .strictObject({
      name: z.string().max(200).optional(),
      labels: promLabels.optional(),
      annotations: promLabels.optional(),
      page_alert: slothAlert.optional(),
      ticket_alert: slothAlert.optional(),
    })
    .optional(),
});

export const slothDocument = z.strictObject({
  version: z.literal('prometheus/v1'),
  service: sloName,
  labels: promLabels.optional(),
  slos: z.array(slothSlo).min(1).max(200),
});
export type SlothDocument = z.output<typeof slothDocument>;

/** Sloth's default SLO period, which a `prometheus/v1` file cannot change. */
export const SLOTH_TIME_WINDOW = { duration: '30d', isRolling: true } as const;

const WINDOW_PLACEHOLDER = '{{.window}}';

/** Whether a value looks like a Sloth file (it has `version` where Kubernetes-style documents have `apiVersion`). */
export function isSlothDocument(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    'version' in value &&
    !('apiVersion' in value)
  );
}

/** A checked Sloth file as SLOs and their service; problems and warnings go to `findings`. */
export function readSlothDocument(
  document: SlothDocument,
  at: At,
  batonServices: ReadonlyMap<string, { owner: string }>,
  findings: Findings,
): { slos: SloModel[]; service: ServiceModel } {
  const baton = batonServices.get(document.service);
  let ownerLabel = document.labels?.owner;
  if (ownerLabel !== undefined && !resourceName.safeParse(ownerLabel).success) {
    findings.problem(under(at, 'labels', 'owner'), 'the owner label names a team', {
      expected: 'a team name: lowercase letters, digits and dashes, at most 63 characters',
      found: JSON.stringify(ownerLabel),
    });
    ownerLabel = undefined;
  }
  const service: ServiceModel = {
    name: document.service,
    document: at.document,
    owner: baton
      ? { kind: 'team', team: baton.owner, from: 'baton-service' }
      : ownerLabel
        ? { kind: 'team', team: ownerLabel, from: 'sloth-label' }
        : { kind: 'none' },
  };
  if (baton && ownerLabel !== undefined && ownerLabel !== baton.owner) {
    findings.warning(
      under(at, 'labels', 'owner'),
      `service ${document.service} is owned by team ${baton.owner} (its Baton Service); the owner label is ignored`,
      { found: JSON.stringify(ownerLabel) },
    );
  }
  const slos: SloModel[] = [];
  const seen = new Set<string>();
  document.slos.forEach((slo, index) => {
    const sloAt = under(at, 'slos', index);
    if (seen.has(slo.name)) {
      findings.problem(
        under(sloAt, 'name'),
        `SLO ${slo.name} is defined twice in service ${document.service}`,
      );
      return;
    }
    seen.add(slo.name);
    const measure = readSlothSli(slo.sli, under(sloAt, 'sli'), findings);
    const pageOn = slo.alerting?.page_alert?.disable !== true;
    const ticketOn = slo.alerting?.ticket_alert?.disable !== true;
    const math = findings.catchSpec(
      sloAt,
      () =>
        parseSloMath({
          timeWindow: [SLOTH_TIME_WINDOW],
          budgetingMethod: 'Occurrences',
          objectives: [{ targetPercent: slo.objective }],
          alerting: { page: pageOn, ticket: ticketOn },
        }),
      slothField,
    );
    if (!measure || !math) return;
    slos.push({
      format: 'prometheus/v1',
      document: at.document,
      name: slo.name,
      ...(slo.description !== undefined ? { description: slo.description } : {}),
      service: document.service,
      labels: { ...document.labels, ...slo.labels },
      math,
      objectives: [{ indicator: { measure } }],
      alertPolicies: [],
      prometheusAlerts: slothAlerting(slo.alerting, pageOn, ticketOn),
    });
  });
  return { slos, service };
}

/** Where a field the math names sits in a Sloth SLO. */
function slothField(path: FieldPath): FieldPath {
  if (path[0] === 'objectives') return ['objective'];
  if (path[0] === 'alerting') return ['alerting', `${String(path[1])}_alert`];
  return [];
}

function readSlothSli(
  sli: SlothDocument['slos'][number]['sli'],
  at: At,
  findings: Findings,
): Measure | undefined {
  if (sli.plugin) {
    findings.problem(under(at, 'plugin'), `Sloth SLI plugins are not read (plugin "${sli.plugin.id}")`, {
      expected: 'events {error_query, total_query} or raw {error_ratio_query}',
    });
    return undefined;
  }
  if ((sli.events === undefined) === (sli.raw === undefined)) {
    findings.problem(at, 'a Sloth SLI has exactly one of events and raw', {
      expected: 'events {error_query, total_query} or raw {error_ratio_query}',
      found: sli.events ? 'both' : 'neither',
    });
    return undefined;
  }
  if (sli.events) {
    return {
      kind: 'prometheus-ratio',
      counter: true,
      count: 'bad',
      numerator: slothQuery(sli.events.error_query, under(at, 'events', 'error_query'), findings),
      total: slothQuery(sli.events.total_query, under(at, 'events', 'total_query'), findings),
    };
  }
  return {
    kind: 'prometheus-raw',
    rawType: 'failure',
    ratio: slothQuery(sli.raw!.error_ratio_query, under(at, 'raw', 'error_ratio_query'), findings),
  };
}

function slothQuery(text: string, at: At, findings: Findings): PrometheusQuery {
  if (!text.includes(WINDOW_PLACEHOLDER)) {
    findings.warning(
      at,
      `the query has no ${WINDOW_PLACEHOLDER}: every rate window (5m … 3d) reads the same range`,
      {
        expected: `a range written [${WINDOW_PLACEHOLDER}], e.g. rate(http_requests_total[${WINDOW_PLACEHOLDER}])`,
      },
    );
  }
  // The file names no Prometheus: Baton's default one answers.
  return { dataSource: {}, query: text, template: 'sloth-window' };
}

function slothAlerting(
  alerting: SlothDocument['slos'][number]['alerting'],
  pageOn: boolean,
  ticketOn: boolean,
): SlothAlerting {
  return {
    ...(alerting?.name !== undefined ? { name: alerting.name } : {}),
    labels: alerting?.labels ?? {},
    annotations: alerting?.annotations ?? {},
    page: {
      enabled: pageOn,
      labels: alerting?.page_alert?.labels ?? {},
      annotations: alerting?.page_alert?.annotations ?? {},
    },
    ticket: {
      enabled: ticketOn,
      labels: alerting?.ticket_alert?.labels ?? {},
      annotations: alerting?.ticket_alert?.annotations ?? {},
    },
  };
}
