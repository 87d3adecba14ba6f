/** Jobs on the wire: the catalog (`GET /api/v1/jobs`) and one job (`GET /api/v1/jobs/:project/:name`). */
import { z } from 'zod';
import { EXECUTION_STATES } from './execution-states.js';
import { jobOptionView } from './options.js';

export { jobOptionView, type JobOptionView } from './options.js';

export const jobSummaryView = z.object({
  project: z.string(),
  name: z.string(),
  description: z.string(),
  labels: z.record(z.string(), z.string()),
  revision: z.number(),
  updatedAt: z.string(),
  updatedBy: z.string(),
  options: z.array(jobOptionView),
  steps: z.array(z.string()),
});
export type JobSummaryView = z.infer<typeof jobSummaryView>;

export const jobStatsView = z
  .object({
    executions: z.number(),
    successRate: z.number().nullable(),
    p50Ms: z.number().nullable(),
    p95Ms: z.number().nullable(),
  })
  .describe('executions that finished in the last 30 days: how many, succeeded/finished, run times');
export type JobStatsView = z.infer<typeof jobStatsView>;

/** A job in the catalog: its summary, last execution and 30-day statistics. */
export const jobCatalogView = jobSummaryView.extend({
  lastExecution: z
    .object({ id: z.number(), state: z.enum(EXECUTION_STATES), finishedAt: z.string().nullable() })
    .nullable()
    .describe('the newest execution, in any state'),
  stats: jobStatsView,
});
export type JobCatalogView = z.infer<typeof jobCatalogView>;

/** One job: the catalog entry, its spec, the YAML it was applied from and what the caller may do. */
export const jobDetailView = jobCatalogView.extend({
  spec: z.record(z.string(), z.unknown()),
  source: z.string().describe('The YAML of the job as it was applied'),
  allowed: z
    .object({ run: z.boolean(), readLogs: z.boolean() })
    .describe('what the caller may do with this job, so a client can offer only that'),
});
export type JobDetailView = z.infer<typeof jobDetailView>;

export const jobsResponse = z.object({ jobs: z.array(jobCatalogView) });
export type JobsResponse = z.infer<typeof jobsResponse>;

export const jobDetailResponse = z.object({ job: jobDetailView });
export type JobDetailResponse = z.infer<typeof jobDetailResponse>;
