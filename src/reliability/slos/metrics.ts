/**
 * The SLO gauges on /metrics, read from the stored statuses when Prometheus scrapes, so every
 * server exports the same numbers whichever one evaluated them.
 */
import type { Db } from '../../platform/db/database.js';
import type { Metrics } from '../../platform/metrics.js';
import { listSloStatuses } from './store.js';

/** Registers `baton_slo_sli_ratio`, `baton_slo_error_budget_remaining_ratio` and `baton_slo_burn_rate`. */
export function registerSloMetrics(metrics: Metrics, db: Db): void {
  const labelsOf = (status: { service: string; name: string }) => ({
    service: status.service,
    slo: status.name,
  });
  metrics.gaugeFromCollector(
    'baton_slo_sli_ratio',
    'SLI of each SLO over its current period (good ÷ total, or good slices ÷ slices); absent without data.',
    ['service', 'slo'],
    async () =>
      (await listSloStatuses(db))
        .filter((status) => status.sli !== null)
        .map((status) => ({ labels: labelsOf(status), value: status.sli! })),
  );
  metrics.gaugeFromCollector(
    'baton_slo_error_budget_remaining_ratio',
    'Share of the error budget of the current period that remains (below 0 when overspent); absent without data.',
    ['service', 'slo'],
    async () =>
      (await listSloStatuses(db))
        .filter((status) => status.budgetRemainingRatio !== null)
        .map((status) => ({ labels: labelsOf(status), value: status.budgetRemainingRatio! })),
  );
  metrics.gaugeFromCollector(
    'baton_slo_burn_rate',
    'Error-budget burn rate of each SLO over a window (1 spends the budget exactly over the period); absent without data.',
    ['service', 'slo', 'window'],
    async () =>
      (await listSloStatuses(db)).flatMap((status) =>
        status.burnRates
          .filter((rate) => rate.rate !== null)
          .map((rate) => ({ labels: { ...labelsOf(status), window: rate.window }, value: rate.rate! })),
      ),
  );
}
