/**
 * What the budget gate does now for each service (open, approval, frozen), for the Services
 * pages: the decision a change job without exception labels would meet, asked of the same pure
 * function the gate asks (policy.ts), so the page never says "open" where a run is refused.
 */
import type { Db } from '../../platform/db/database.js';
import type { GateStateView } from '../../contract/slos.js';
import { listServices } from '../services/store.js';
import { listSloStatuses } from '../slos/store.js';
import { decideBudget, policyFor } from './policy.js';
import { listBudgetPolicies } from './store.js';

const STATE_OF = { admit: 'open', approve: 'approval', refuse: 'frozen' } as const;

export async function gateStates(
  db: Db,
  services: readonly string[],
  now: number,
): Promise<Map<string, GateStateView>> {
  const [policies, statuses, catalog] = await Promise.all([
    listBudgetPolicies(db),
    listSloStatuses(db),
    listServices(db),
  ]);
  const owners = new Map(catalog.map((service) => [service.name, service.owner]));
  // A service only SLO documents name has no labels: no selector covers it.
  const labels = new Map(catalog.map((service) => [service.name, service.labels]));
  return new Map(
    services.map((service) => {
      const policy = policyFor(policies, service, labels.get(service) ?? {});
      const decision = decideBudget({
        policy,
        statuses: statuses.filter((status) => status.service === service),
        job: { name: `a change to ${service}`, service, purpose: 'change', labels: {} },
        owner: owners.get(service),
        now,
      });
      const state = STATE_OF[decision.decision];
      return [
        service,
        {
          state,
          reason: state === 'open' ? null : decision.because,
          policy: policy?.name ?? null,
          rule: decision.rule,
        },
      ];
    }),
  );
}
