/** The execution detail, its log and log searches, as GET /api/v1/executions/:id/… answer them. */
// The contract's description of the answers (src/contract/, shared with the server and the CLI),
// under the names the pages use.
export type { StepState } from '../../../src/contract/execution-states.js';
export type {
  AttemptView as ExecutionAttempt,
  ExecutionDetailView as ExecutionDetail,
  NodeRunView as NodeRun,
  StepView as ExecutionStep,
} from '../../../src/contract/executions.js';
export type {
  LogLineView as LogLine,
  LogRangeResponse as LogRange,
  LogSearchResponse as LogSearchPage,
  LogStream,
  LogStreamEnd,
} from '../../../src/contract/logs.js';

/** The API path of an execution, and of its log routes. */
export const executionPath = (id: number) => `/api/v1/executions/${id}`;
