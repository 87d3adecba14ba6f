/**
 * What people read about SLOs: the list, one SLO with its history, the services with their
 * health and gate, and the Prometheus rules. A caller sees the SLOs of the services they may
 * `view`; one they may not view answers like one that does not exist.
 *
 * The SLOs are always the model read from the stored documents (loadSloReading) and the status is
 * what the evaluation duty stored last: an SLO applied but not yet evaluated is listed with no
 * status rather than hidden.
 */
import type { AccessControl } from '../../access/authorize.js';
import { resources, type Principal } from '../../access/model.js';
import type {
  GateStateView,
  ServiceHealthView,
  ServiceOwnerView,
  SloDetailView,
  SloStatus,
  SloSummaryView,
  SlosQuery,
} from '../../contract/slos.js';
import type { Db } from '../../platform/db/database.js';
import { NotFoundError } from '../../platform/errors.js';
import { gateStates } from '../budgets/state.js';
import { listServices } from '../services/store.js';
import { sloHistory } from './history.js';
import { sloKey, type SloModel, type SloReading } from './model.js';
import { formatPrometheusRules, prometheusRules, type PrometheusSloSpec } from './prometheus-rules.js';
import { sloRuleSpec } from './rule-spec.js';
import { listSloStatuses, loadSloReading, type StoredSloDocument } from './store.js';

const NO_OWNER: ServiceOwnerView = { kind: 'none' };
const OPEN_GATE: GateStateView = { state: 'open', reason: null, policy: null, rule: null };

/** The lowest of the numbers, null when there are none. */
function lowest(values: readonly (number | null | undefined)[]): number | null {
  const present = values.filter((value): value is number => typeof value === 'number');
  return present.length === 0 ? null : Math.min(...present);
}

/** A service's attainment: its worst SLI ÷ target (1 = on target), over the SLOs with data. */
export function attainmentOf(slos: readonly SloSummaryView[]): number | null {
  return lowest(
    slos.map((slo) => {
      const sli = slo.status?.sli ?? null;
      // A target of 0 promises nothing, so nothing can fall short of it.
      return sli === null || slo.target === 0 ? null : sli / slo.target;
    }),
  );
}

/** A service's lowest remaining budget (ratio) over its SLOs with data. */
export function budgetRemainingOf(slos: readonly SloSummaryView[]): number | null {
  return lowest(slos.map((slo) => slo.status?.budgetRemainingRatio));
}

interface Loaded {
  reading: SloReading & { documents: StoredSloDocument[] };
  statuses: Map<string, SloStatus>;
  owners: Map<string, ServiceOwnerView>;
}

/** The rule file for the caller's Prometheus-backed SLOs, with the ones it could not express. */
export interface SloRules {
  yaml: string;
  skipped: { slo: string; reason: string }[];
}

/** Every SLO (or one service's) with the latest statuses and the owners of their services. */
async function loadSlos(db: Db, service?: string): Promise<Loaded> {
  const [reading, statuses] = await Promise.all([loadSloReading(db), listSloStatuses(db, service)]);
  return {
    reading,
    statuses: new Map(statuses.map((status) => [status.slo, status])),
    owners: new Map(reading.services.map((model) => [model.name, model.owner])),
  };
}

function summaryOf(loaded: Loaded, model: SloModel): SloSummaryView {
  const slo = sloKey(model);
  return {
    slo,
    service: model.service,
    name: model.name,
    displayName: model.displayName ?? null,
    format: model.format,
    owner: loaded.owners.get(model.service) ?? NO_OWNER,
    // A composite's objectives each have a target; lists show the first, as the status does.
    target: model.math.objectives[0]!.target,
    status: loaded.statuses.get(slo) ?? null,
  };
}

/**
 * The SLOs of one service as lists show them, for a caller already allowed to see the service
 * (the budget check asks this after its own visibility check).
 */
export async function serviceSloSummaries(db: Db, service: string): Promise<SloSummaryView[]> {
  const loaded = await loadSlos(db, service);
  return loaded.reading.slos
    .filter((model) => model.service === service)
    .map((model) => summaryOf(loaded, model));
}

export class SloReadService {
  constructor(
    private readonly db: Db,
    private readonly access: AccessControl,
  ) {}

  private canView(caller: Principal, service: string): boolean {
    return this.access.authorize(caller, 'view', resources.service(service)).allowed;
  }

  private visibleSlos(caller: Principal, loaded: Loaded, service?: string): SloModel[] {
    return loaded.reading.slos.filter(
      (model) => (service === undefined || model.service === service) && this.canView(caller, model.service),
    );
  }

  /** The SLOs the caller may view, with their latest status; `health` matches no-data for an SLO not evaluated yet. */
  async list(caller: Principal, query: SlosQuery): Promise<SloSummaryView[]> {
    const loaded = await loadSlos(this.db, query.service);
    return this.visibleSlos(caller, loaded, query.service)
      .map((model) => summaryOf(loaded, model))
      .filter((slo) => query.health === undefined || (slo.status?.health ?? 'no-data') === query.health)
      .sort((a, b) => a.slo.localeCompare(b.slo));
  }

  /** One SLO with its series, alerts, corrections, changes and the document as applied. */
  async detail(caller: Principal, service: string, name: string, now: number): Promise<SloDetailView> {
    const loaded = await loadSlos(this.db, service);
    const model = loaded.reading.slos.find((slo) => slo.service === service && slo.name === name);
    if (!model || !this.canView(caller, service))
      throw new NotFoundError(`no SLO named "${service}/${name}"`);
    const summary = summaryOf(loaded, model);
    const history = await sloHistory(this.db, model, summary.status ?? undefined, now);
    return {
      ...summary,
      description: model.description ?? null,
      ...history,
      source: loaded.reading.documents[model.document]?.source ?? '',
    };
  }

  /**
   * Every service the caller may view, from the catalog and from SLO documents alone (with the
   * owner the documents give, or none), with its SLOs, attainment, lowest budget and gate.
   */
  async health(caller: Principal, now: number): Promise<ServiceHealthView[]> {
    const [loaded, catalog] = await Promise.all([loadSlos(this.db), listServices(this.db)]);
    const services = new Map<
      string,
      Omit<ServiceHealthView, 'slos' | 'attainment' | 'budgetRemainingRatio' | 'gate'>
    >();
    for (const service of catalog) {
      services.set(service.name, {
        name: service.name,
        description: service.description,
        owner: loaded.owners.get(service.name) ?? {
          kind: 'team',
          team: service.owner,
          from: 'baton-service',
        },
        lifecycle: service.lifecycle,
      });
    }
    for (const model of loaded.reading.services) {
      if (services.has(model.name)) continue;
      services.set(model.name, {
        name: model.name,
        description: model.description ?? null,
        owner: model.owner,
        lifecycle: null,
      });
    }
    const visible = [...services.values()].filter((service) => this.canView(caller, service.name));
    const gates = await gateStates(
      this.db,
      visible.map((service) => service.name),
      now,
    );
    return visible
      .map((service) => {
        const slos = this.visibleSlos(caller, loaded, service.name).map((model) => summaryOf(loaded, model));
        return {
          ...service,
          slos,
          attainment: attainmentOf(slos),
          budgetRemainingRatio: budgetRemainingOf(slos),
          gate: gates.get(service.name) ?? OPEN_GATE,
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Prometheus rules for the caller's Prometheus-backed SLOs (of one service when given). */
  async rules(caller: Principal, service?: string): Promise<SloRules> {
    const loaded = await loadSlos(this.db, service);
    const specs: PrometheusSloSpec[] = [];
    const skipped: SloRules['skipped'] = [];
    for (const model of this.visibleSlos(caller, loaded, service)) {
      const spec = sloRuleSpec(model);
      if (spec.kind === 'rules') specs.push(spec.spec);
      if (spec.kind === 'skipped') skipped.push({ slo: sloKey(model), reason: spec.reason });
    }
    const notes = skipped.map((skip) => `# Skipped ${skip.slo}: ${skip.reason}.\n`).join('');
    return { yaml: formatPrometheusRules(prometheusRules(specs)) + notes, skipped };
  }
}
