/** A schedule (`GET /api/v1/schedules`): its definition, next fire times and last fire; the CLI and the web read it alike. */
export interface ScheduleView {
  project: string;
  name: string;
  job: string;
  definedByJob: string | null;
  description: string | null;
  cron: string;
  timezone: string;
  options: Record<string, unknown>;
  enabled: boolean;
  misfire: 'skip' | 'runOnce';
  owner: string;
  runAs: string | null;
  nextFireTimes: string[];
  lastFire: {
    scheduledAt: string;
    firedAt: string;
    outcome: 'queued' | 'skipped_misfire' | 'refused';
    reason: string | null;
    execution: { id: number; state: string | null } | null;
  } | null;
  updatedAt: string;
  updatedBy: string;
}

export interface SchedulesResponse {
  schedules: ScheduleView[];
}
