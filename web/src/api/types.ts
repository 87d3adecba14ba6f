/** The API's answers as the UI reads them (see GET /api/openapi.json for the full description). */

// The states are the contract's own list (src/contract/, shared with the server), so a state
// added there reaches the badges and filters here.
export { EXECUTION_STATES, type ExecutionState } from '../../../src/contract/execution-states.js';
import { TERMINAL_STATES } from '../../../src/contract/execution-states.js';
/** States an execution never leaves. */
export const FINISHED_STATES: ReadonlySet<string> = TERMINAL_STATES;

// Jobs and executions as the contract describes them (src/contract/, shared with the server and
// the CLI), under the names the pages use.
export type {
  JobOptionView as JobOption,
  JobStatsView as JobStats,
  JobCatalogView as JobSummary,
  JobDetailView as JobDetail,
} from '../../../src/contract/jobs.js';
export type {
  ExecutionView as Execution,
  ExecutionsResponse as ExecutionPage,
} from '../../../src/contract/executions.js';
