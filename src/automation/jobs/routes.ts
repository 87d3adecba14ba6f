/** Jobs over HTTP: list and read. Jobs are written with POST /api/v1/apply. */
import { z } from 'zod';
import type { AccessControl } from '../../access/authorize.js';
import { resources } from '../../access/model.js';
import {
  jobDetailResponse,
  jobsResponse,
  type JobCatalogView,
  type JobSummaryView,
} from '../../contract/jobs.js';
import type { Db } from '../../platform/db/database.js';
import type { HttpApp } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/access.js';
import type { ExecutionService } from '../executions/service.js';
import { matchesLabels, readJobHistory, type JobHistory } from './catalog.js';
import type { Job } from './model.js';
import { listJobs } from './store.js';

const labelSelector = z.string().regex(/^[^=]+=/, 'must be KEY=VALUE');

function summary(job: Job): JobSummaryView {
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

function withHistory(job: Job, history: JobHistory | undefined): JobCatalogView {
  const last = history?.lastExecution;
  return {
    ...summary(job),
    lastExecution: last
      ? { id: last.id, state: last.state, finishedAt: last.finishedAt?.toISOString() ?? null }
      : null,
    stats: history?.stats ?? { executions: 0, successRate: null, p50Ms: null, p95Ms: null },
  };
}

const jobParams = z.object({ project: z.string(), name: z.string() });

/** What the job routes use of a running Baton. */
export interface JobRoutesDeps {
  db: Db;
  executions: ExecutionService;
  access: AccessControl;
}

export function registerJobRoutes(app: HttpApp, baton: JobRoutesDeps): void {
  app.get(
    '/api/v1/jobs',
    {
      config: { access: 'authenticated' },
      schema: {
        description:
          'Jobs the caller may view, with their last execution and statistics of the last 30 days.',
        querystring: z.object({
          project: z.string().optional(),
          q: z.string().optional().describe('case-insensitive part of the project, name or description'),
          label: z
            .union([labelSelector, z.array(labelSelector)])
            .optional()
            .describe('KEY=VALUE; repeat it and every one must match'),
          service: z.string().optional().describe('the catalog service the job acts on (spec.service)'),
        }),
        response: { 200: jobsResponse },
      },
    },
    async (request) => {
      const caller = principalOf(request);
      const { project, q, label, service } = request.query;
      const selectors = label === undefined ? [] : [label].flat();
      // Labels are JSON text, which the two databases query differently; jobs are documents
      // people wrote (hundreds, not millions), so matching them here costs little.
      const jobs = (await listJobs(baton.db, { project, search: q, service })).filter(
        (job) =>
          matchesLabels(job.labels, selectors) &&
          baton.access.authorize(caller, 'view', resources.job(job.project, job.name)).allowed,
      );
      const history = await readJobHistory(baton.db, jobs, Date.now());
      return { jobs: jobs.map((job) => withHistory(job, history.get(`${job.project}/${job.name}`))) };
    },
  );

  app.get(
    '/api/v1/jobs/:project/:name',
    {
      // findJob answers a job the caller may not view like a missing one.
      config: { access: 'authenticated' },
      schema: {
        description:
          'One job, with its spec, the YAML it was applied from, its last execution and statistics of the last 30 days.',
        params: jobParams,
        response: { 200: jobDetailResponse },
      },
    },
    async (request) => {
      const caller = principalOf(request);
      const job = await baton.executions.findJob(caller, request.params.project, request.params.name);
      const history = await readJobHistory(baton.db, [job], Date.now());
      const resource = resources.job(job.project, job.name);
      return {
        job: {
          ...withHistory(job, history.get(`${job.project}/${job.name}`)),
          spec: job.spec,
          source: job.source,
          allowed: {
            run: baton.access.authorize(caller, 'run', resource).allowed,
            readLogs: baton.access.authorize(caller, 'read-logs', resource).allowed,
          },
        },
      };
    },
  );
}
