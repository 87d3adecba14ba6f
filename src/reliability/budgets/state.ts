/**
 * What the budget gate does now for each service (open, approval, frozen), for the Services pages.
 * STUB (owned by the gate work): every service is open until the gate exists.
 */
import type { Db } from '../../platform/db/database.js';
import type { GateStateView } from '../../contract/slos.js';

export async function gateStates(
  _db: Db,
  services: readonly string[],
  _now: number,
): Promise<Map<string, GateStateView>> {
  return new Map(
    services.map((service) => [service, { state: 'open', reason: null, policy: null, rule: null }]),
  );
}
