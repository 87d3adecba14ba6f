/**
 * The one SLO model Baton works from, whichever document it came from: a `baton/v1` SLO, OpenSLO
 * v1 documents (an SLO with its SLI, DataSource, AlertPolicy … resolved by name), or a Sloth
 * `prometheus/v1` file. Reading and checking live in documents.ts, openslo.ts, sloth.ts and
 * resolve.ts; this file holds only the shapes, so the evaluator and the stores depend on nothing
 * else.
 */
import type { ExecutionState } from '../../contract/execution-states.js';
import type { SloMath } from './evaluate.js';

/** Where a finding is: the document (its position in the list handed in) and a field path inside it. */
export interface DocumentFinding {
  /** Index of the document in the list the reader was given. */
  readonly document: number;
  /** Field path from the document's root, e.g. `['spec', 'objectives', 0, 'targetPercent']`. */
  readonly path: readonly (string | number)[];
  readonly message: string;
  /** What a valid value looks like. */
  readonly expected?: string;
  /** What was there instead, written for a person. */
  readonly found?: string;
}

/** The document formats Baton reads SLOs from. */
export type SloFormat = 'baton/v1' | 'openslo/v1' | 'prometheus/v1';

/** A Prometheus server an indicator reads (an OpenSLO DataSource of type Prometheus). */
export interface PrometheusDataSource {
  /** The DataSource's name; absent when the metric source named no DataSource. */
  readonly name?: string;
  /** Base URL of the HTTP API, e.g. `http://prometheus:9090`. */
  readonly url?: string;
  /** Path of the Baton secret that holds a bearer token, when Prometheus needs one. */
  readonly bearerTokenSecret?: string;
}

/** A PromQL query and where to send it. */
export interface PrometheusQuery {
  readonly dataSource: PrometheusDataSource;
  readonly query: string;
  /**
   * `sloth-window` when the query holds Sloth's `{{.window}}` placeholder, replaced by each
   * rate window (5m … 3d); `none` for an OpenSLO query, an instant vector of a counter or gauge.
   */
  readonly template: 'none' | 'sloth-window';
}

/** Which executions of Baton's own jobs count, for an indicator with `type: Baton`. */
export interface ExecutionSelector {
  /** `project/name` of one job; absent means every job of the SLO's service. */
  readonly job?: { readonly project: string; readonly name: string };
}

/** What makes an execution good (or bad), for an indicator with `type: Baton`. */
export interface ExecutionCriteria {
  /** The terminal states that count; absent means any terminal state. */
  readonly states?: readonly ExecutionState[];
  /** Finished within this many milliseconds of starting. */
  readonly finishedWithinMs?: number;
}

/** How an indicator's value is measured. */
export type Measure =
  /** good/total or (total − bad)/total from two PromQL queries. */
  | {
      readonly kind: 'prometheus-ratio';
      readonly counter: boolean;
      readonly count: 'good' | 'bad';
      readonly numerator: PrometheusQuery;
      readonly total: PrometheusQuery;
    }
  /** A precomputed ratio of successes or failures. */
  | {
      readonly kind: 'prometheus-raw';
      readonly rawType: 'success' | 'failure';
      readonly ratio: PrometheusQuery;
    }
  /** A value compared against each objective's `op` and `value`. */
  | { readonly kind: 'prometheus-threshold'; readonly metric: PrometheusQuery }
  /** Baton's own executions: the share of selected executions that meet (or miss) the criteria. */
  | {
      readonly kind: 'executions';
      readonly selector: ExecutionSelector;
      readonly count: 'good' | 'bad';
      readonly criteria: ExecutionCriteria;
    }
  /** Good (or bad) and total counts POSTed to Baton per time slice. */
  | { readonly kind: 'pushed'; readonly count: 'good' | 'bad' };

/** A service level indicator, inline or from an SLI document. */
export interface Indicator {
  readonly name?: string;
  readonly description?: string;
  readonly measure: Measure;
}

export type ThresholdOp = 'lte' | 'gte' | 'lt' | 'gt';

/** One objective beside the math's `Objective` at the same index. */
export interface ObjectiveSource {
  readonly displayName?: string;
  readonly indicator: Indicator;
  /** For a threshold metric: how the SLI compares with `value`. */
  readonly threshold?: { readonly op: ThresholdOp; readonly value: number };
}

/** An OpenSLO AlertCondition, resolved. */
export interface AlertConditionModel {
  readonly name: string;
  readonly description?: string;
  readonly severity: string;
  readonly kind: 'burnrate';
  readonly op?: ThresholdOp;
  readonly threshold: number;
  readonly lookbackWindowMs: number;
  readonly alertAfterMs: number;
}

/** An OpenSLO AlertNotificationTarget, resolved. */
export interface NotificationTargetModel {
  readonly name: string;
  readonly description?: string;
  readonly target: string;
}

/** An OpenSLO AlertPolicy with its conditions and targets resolved. */
export interface AlertPolicyModel {
  readonly name: string;
  readonly description?: string;
  readonly alertWhenNoData: boolean;
  readonly alertWhenResolved: boolean;
  readonly alertWhenBreaching: boolean;
  readonly conditions: readonly AlertConditionModel[];
  readonly notificationTargets: readonly NotificationTargetModel[];
}

/**
 * Who owns a service. OpenSLO and Sloth have no owner field, so one is supplied (see
 * resolve.ts); a service nobody owns says so instead of borrowing a default team.
 */
export type ServiceOwner =
  | {
      readonly kind: 'team';
      readonly team: string;
      /** Where the owner came from: Baton's Service, a `baton.dev/owner` annotation, a Sloth `owner` label. */
      readonly from: 'baton-service' | 'annotation' | 'sloth-label';
    }
  | { readonly kind: 'none' };

/** A service SLOs are about. */
export interface ServiceModel {
  readonly name: string;
  readonly description?: string;
  readonly owner: ServiceOwner;
  /** The document that described it; absent when only a Baton Service names it. */
  readonly document?: number;
}

/** The key of an SLO everywhere (tables, statuses, routes, events): `service/name`. */
export function sloKey(slo: Pick<SloModel, 'service' | 'name'>): string {
  return `${slo.service}/${slo.name}`;
}

/** One SLO, normalized. */
export interface SloModel {
  readonly format: SloFormat;
  /** The document it came from. */
  readonly document: number;
  readonly name: string;
  readonly displayName?: string;
  readonly description?: string;
  /** baton/v1 only: the project it belongs to. */
  readonly project?: string;
  readonly service: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Window, budgeting method, objectives and the alert windows, checked by the SLO math. */
  readonly math: SloMath;
  /** What each objective measures, index for index with `math.objectives`. */
  readonly objectives: readonly ObjectiveSource[];
  readonly alertPolicies: readonly AlertPolicyModel[];
  /** Sloth's alert names, labels and annotations for the Prometheus rules Baton writes. */
  readonly prometheusAlerts?: SlothAlerting;
}

/** The labels and annotations a Sloth file puts on its page and ticket alerts. */
export interface SlothAlerting {
  readonly name?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly page: SlothAlert;
  readonly ticket: SlothAlert;
}

export interface SlothAlert {
  readonly enabled: boolean;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

/** Everything a set of documents says, or what is wrong with it. */
export interface SloReading {
  readonly slos: readonly SloModel[];
  readonly services: readonly ServiceModel[];
  readonly problems: readonly DocumentFinding[];
  /** Accepted, but worth saying (e.g. `op` on a ratio metric, an alert a short window turns off). */
  readonly warnings: readonly DocumentFinding[];
}
