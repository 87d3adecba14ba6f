/** GET /api/v1/usage as the UI reads it (src/contract/usage.ts describes each field). */
import type { UsageResponse } from '../../../src/contract/usage.js';

// The contract's description of the answer, the CLI's and the server's too: one definition for all.
export type { UsageResponse as UsageReport } from '../../../src/contract/usage.js';

/** One UTC day of executions, split by how they ended. */
export type UsageDay = UsageResponse['days'][number];
export type JobUsage = UsageResponse['byJob'][number];
export type UserUsage = UsageResponse['byUser'][number];
export type TeamUsage = UsageResponse['byTeam'][number];
export type TimeSavedByJob = UsageResponse['timeSaved']['byJob'][number];
