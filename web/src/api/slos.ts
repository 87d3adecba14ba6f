/** The SLO, service health and budget gate answers as the UI reads them (src/contract/slos.ts describes each field). */

// The contract's description of the answers, the CLI's and the server's too: one definition for all.
export type {
  BudgetCheckView as BudgetCheck,
  ChangeCostView as ChangeCost,
  CorrectionView as Correction,
  ExecutionBudgetCostResponse as ExecutionBudgetCosts,
  ExecutionBudgetCostView as ExecutionBudgetCost,
  GateStateView as GateState,
  ServiceHealthView as ServiceHealth,
  ServiceOwnerView as ServiceOwner,
  ServicesHealthResponse as ServicesHealthList,
  SloAlertView as SloAlert,
  SloDetailView as SloDetail,
  SloPointView as SloPoint,
  SloStatus,
  SloSummaryView as SloSummary,
  SlosResponse as SloList,
} from '../../../src/contract/slos.js';

/** What a change execution cost its service's SLOs (empty for other executions). */
export function budgetCostPath(executionId: number): string {
  return `/api/v1/executions/${executionId}/budget-cost`;
}
