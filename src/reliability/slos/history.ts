/**
 * What the Service page and `baton slo` show beside an SLO's status: the SLI and budget series over
 * the period, alerts, corrections and the cost of each change.
 * STUB (owned by the evaluation work): returns nothing yet.
 */
import type { Db } from '../../platform/db/database.js';
import type {
  ChangeCostView,
  CorrectionView,
  SloAlertView,
  SloPointView,
  SloStatus,
} from '../../contract/slos.js';
import type { SloModel } from './model.js';

export interface SloHistory {
  series: SloPointView[];
  alerts: SloAlertView[];
  corrections: CorrectionView[];
  changes: ChangeCostView[];
}

export async function sloHistory(
  _db: Db,
  _slo: SloModel,
  _status: SloStatus | undefined,
  _now: number,
): Promise<SloHistory> {
  return { series: [], alerts: [], corrections: [], changes: [] };
}
