/** Usage statistics over HTTP, for the web UI: how operations are used, by whom, for whom. */
import { z } from 'zod';
import type { Baton } from '../../app.js';
import { timeBound } from '../../access/audit/model.js';
import type { HttpApp } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/access.js';
import { MAX_DURATION_ROWS, parseUsageWindow, type UsageReport } from './model.js';
import { UsageService } from './service.js';

const rate = z.number().nullable().describe('succeeded / (succeeded + failed + timed_out); null without any');

const usageView = z.object({
  window: z.object({ since: z.string(), until: z.string() }),
  truncated: z
    .boolean()
    .describe(`true when more than ${MAX_DURATION_ROWS} executions ran: percentiles use the newest of them`),
  days: z.array(
    z.object({
      day: z.string(),
      executions: z.number(),
      succeeded: z.number(),
      failed: z.number().describe('failed and timed_out'),
      other: z.number().describe('cancelled and rejected'),
    }),
  ),
  byJob: z.array(
    z.object({
      project: z.string(),
      job: z.string(),
      executions: z.number(),
      succeeded: z.number(),
      failed: z.number(),
      other: z.number(),
      successRate: rate,
      durationMs: z.object({ p50: z.number(), p95: z.number(), max: z.number() }).nullable(),
      lastExecution: z
        .object({ id: z.number(), state: z.string(), finishedAt: z.string().nullable() })
        .nullable(),
    }),
  ),
  byUser: z.array(
    z.object({
      user: z.string(),
      executions: z.number(),
      successRate: rate,
      onBehalfOf: z.array(z.string()).describe('teams owning the projects of the jobs the user ran'),
    }),
  ),
  byTeam: z.array(
    z.object({
      team: z.string().describe('a team of the requester, or "(no team)"'),
      executions: z.number(),
      successRate: rate,
      days: z.array(z.object({ day: z.string(), executions: z.number() })),
    }),
  ),
  timeSaved: z.object({
    totalMinutes: z.number(),
    byJob: z.array(
      z.object({
        project: z.string(),
        job: z.string(),
        executions: z.number().describe('succeeded executions whose job declared manualMinutes'),
        manualMinutes: z.number().describe('the manual minutes those executions declared, summed'),
        runMinutes: z.number().describe('the time those executions ran, summed'),
        minutes: z.number().describe('manualMinutes - runMinutes'),
      }),
    ),
  }),
});

const JOB_REFERENCE = /^([^/]+)\/([^/]+)$/;

function viewUsage(report: UsageReport): z.infer<typeof usageView> {
  return {
    ...report,
    window: {
      since: new Date(report.window.since).toISOString(),
      until: new Date(report.window.until).toISOString(),
    },
    byJob: report.byJob.map((job) => ({
      ...job,
      lastExecution: job.lastExecution && {
        ...job.lastExecution,
        finishedAt: job.lastExecution.finishedAt?.toISOString() ?? null,
      },
    })),
  };
}

export function registerUsageRoutes(app: HttpApp, baton: Pick<Baton, 'db' | 'caps' | 'access'>): void {
  const usage = new UsageService(baton.db, baton.caps, baton.access);
  app.get(
    '/api/v1/usage',
    {
      // Every caller gets numbers, over the jobs they may view only (decided in the service).
      config: { access: 'authenticated' },
      schema: {
        description:
          'Usage statistics over the executions the caller may view, queued in the window (default: the ' +
          'last 30 days, at most 400): per UTC day, job, requester and requester team, and the time saved ' +
          'by jobs that declare spec.manualMinutes.',
        querystring: z.object({
          since: timeBound,
          until: timeBound,
          project: z.string().min(1).optional(),
          job: z.string().regex(JOB_REFERENCE, 'must be PROJECT/NAME').optional(),
          team: z.string().min(1).optional().describe('only executions requested by members of this team'),
        }),
        response: { 200: usageView },
      },
    },
    async (request) => {
      const { since, until, project, job, team } = request.query;
      const window = parseUsageWindow(since, until, Date.now());
      const [jobProject, jobName] = job === undefined ? [] : job.split('/');
      const report = await usage.report(principalOf(request), {
        ...window,
        project,
        job: jobProject && jobName ? { project: jobProject, name: jobName } : undefined,
        team,
      });
      return viewUsage(report);
    },
  );
}
