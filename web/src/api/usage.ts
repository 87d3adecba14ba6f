/** GET /api/v1/usage as the UI reads it (src/insights/usage/routes.ts describes each field). */

/** One UTC day of executions, split by how they ended. */
export interface UsageDay {
  /** `2025-03-14` */
  day: string;
  executions: number;
  succeeded: number;
  /** failed and timed_out */
  failed: number;
  /** cancelled and rejected; running and queued ones count in `executions` only */
  other: number;
}

export interface JobUsage {
  project: string;
  job: string;
  executions: number;
  succeeded: number;
  failed: number;
  other: number;
  successRate: number | null;
  durationMs: { p50: number; p95: number; max: number } | null;
  lastExecution: { id: number; state: string; finishedAt: string | null } | null;
}

export interface UserUsage {
  user: string;
  executions: number;
  successRate: number | null;
  /** Teams owning the projects of the jobs this user ran. */
  onBehalfOf: string[];
}

export interface TeamUsage {
  /** A team of the requester, or "(no team)". */
  team: string;
  executions: number;
  successRate: number | null;
  days: { day: string; executions: number }[];
}

export interface TimeSavedByJob {
  project: string;
  job: string;
  /** Succeeded executions whose job declared spec.manualMinutes. */
  executions: number;
  /** The manual minutes those executions declared, summed. */
  manualMinutes: number;
  /** The time those executions ran, summed. */
  runMinutes: number;
  /** manualMinutes - runMinutes */
  minutes: number;
}

export interface UsageReport {
  window: { since: string; until: string };
  /** Percentiles were computed from the newest executions only. */
  truncated: boolean;
  days: UsageDay[];
  byJob: JobUsage[];
  byUser: UserUsage[];
  byTeam: TeamUsage[];
  timeSaved: { totalMinutes: number; byJob: TimeSavedByJob[] };
}
