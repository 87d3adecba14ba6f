/** GET /api/v1/workers as the UI reads it: the contract's description, under the names the pages use. */
export type {
  WorkerState,
  WorkerView as Worker,
  WorkersResponse as WorkerList,
} from '../../../src/contract/workers.js';
