/** Jobs over HTTP: list and read. Jobs are written with POST /api/v1/apply. */
import { z } from 'zod';
import type { Baton } from '../../app.js';
import { resources, type Resource } from '../../access/model.js';
import type { HttpApp } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/access.js';
import type { Job } from './model.js';
import { listJobs } from './store.js';

const optionView = z.object({
  name: z.string(),
  type: z.string(),
  description: z.string().optional(),
  required: z.boolean().optional(),
  default: z.unknown().optional(),
  pattern: z.string().optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  values: z.array(z.union([z.string(), z.number()])).optional(),
  items: z.string().optional(),
});

export const jobSummaryView = z.object({
  project: z.string(),
  name: z.string(),
  description: z.string(),
  labels: z.record(z.string(), z.string()),
  revision: z.number(),
  updatedAt: z.string(),
  updatedBy: z.string(),
  options: z.array(optionView),
  steps: z.array(z.string()),
});

const jobDetailView = jobSummaryView.extend({
  spec: z.record(z.string(), z.unknown()),
  source: z.string().describe('The YAML of the job as it was applied'),
});

function summary(job: Job): z.infer<typeof jobSummaryView> {
  return {
    project: job.project,
    name: job.name,
    description: job.description,
    labels: job.labels,
    revision: job.revision,
    updatedAt: job.updatedAt.toISOString(),
    updatedBy: job.updatedBy,
    options: job.spec.options ?? [],
    steps: job.spec.steps.map((step) => step.name),
  };
}

const jobParams = z.object({ project: z.string(), name: z.string() });

export function registerJobRoutes(app: HttpApp, baton: Pick<Baton, 'db' | 'executions' | 'access'>): void {
  app.get(
    '/api/v1/jobs',
    {
      config: { access: 'authenticated' },
      schema: {
        description: 'Jobs the caller may view.',
        querystring: z.object({ project: z.string().optional() }),
        response: { 200: z.object({ jobs: z.array(jobSummaryView) }) },
      },
    },
    async (request) => {
      const caller = principalOf(request);
      const jobs = await listJobs(baton.db, { project: request.query.project });
      return {
        jobs: jobs
          .filter(
            (job) => baton.access.authorize(caller, 'view', resources.job(job.project, job.name)).allowed,
          )
          .map(summary),
      };
    },
  );

  app.get(
    '/api/v1/jobs/:project/:name',
    {
      config: { access: { action: 'view', resource: (request) => resourceOf(request.params) } },
      schema: {
        description: 'One job, with its spec and the YAML it was applied from.',
        params: jobParams,
        response: { 200: z.object({ job: jobDetailView }) },
      },
    },
    async (request) => {
      const job = await baton.executions.findJob(
        principalOf(request),
        request.params.project,
        request.params.name,
      );
      return { job: { ...summary(job), spec: job.spec, source: job.source } };
    },
  );
}

function resourceOf(params: unknown): Resource {
  const { project, name } = params as { project: string; name: string };
  return resources.job(project, name);
}
