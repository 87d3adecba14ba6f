/** Usage statistics over HTTP, for the web UI: how operations are used, by whom, for whom. */
import { z } from 'zod';
import type { AccessControl } from '../../access/authorize.js';
import { timeBound } from '../../access/audit/model.js';
import { usageResponse, type UsageResponse } from '../../contract/usage.js';
import type { Db } from '../../platform/db/database.js';
import type { DialectCapabilities } from '../../platform/db/capabilities.js';
import type { HttpApp } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/access.js';
import { parseUsageWindow, type UsageReport } from './model.js';
import { UsageService } from './service.js';

const JOB_REFERENCE = /^([^/]+)\/([^/]+)$/;

function viewUsage(report: UsageReport): UsageResponse {
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

/** What the usage routes use of the server. */
export interface UsageRoutesDeps {
  db: Db;
  caps: DialectCapabilities;
  access: AccessControl;
}

export function registerUsageRoutes(app: HttpApp, baton: UsageRoutesDeps): void {
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
        response: { 200: usageResponse },
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
