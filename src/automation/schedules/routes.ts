/**
 * Schedules over HTTP: list and read, with their next fire times and what their last fire did.
 * They are written with POST /api/v1/apply (a Schedule document, or `spec.schedules` on a job);
 * enabling and disabling is a change to the document too, so the YAML in version control stays
 * the truth about what runs when.
 */
import { z } from 'zod';
import type { AccessControl } from '../../access/authorize.js';
import { resources } from '../../access/model.js';
import { scheduleResponse, schedulesResponse, type ScheduleView } from '../../contract/schedules.js';
import type { Db } from '../../platform/db/database.js';
import type { HttpApp } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/access.js';
import { NotFoundError } from '../../platform/errors.js';
import type { ExecutionState } from '../executions/model.js';
import { nextFireTimes } from './cron.js';
import type { Schedule } from './model.js';
import { listSchedules } from './store.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** The next `count` fire times: the stored next one, then those after it. */
function upcoming(schedule: Schedule, count: number): number[] {
  if (!schedule.enabled || schedule.nextFireAt === null || count === 0) return [];
  try {
    return [
      schedule.nextFireAt,
      ...nextFireTimes(schedule.cron, schedule.timezone, schedule.nextFireAt, count - 1),
    ];
  } catch {
    return [schedule.nextFireAt];
  }
}

function view(schedule: Schedule & { lastExecutionState: string | null }, count: number): ScheduleView {
  const last = schedule.lastFire;
  return {
    project: schedule.project,
    name: schedule.name,
    job: schedule.job,
    definedByJob: schedule.definedByJob,
    description: schedule.description,
    cron: schedule.cron,
    timezone: schedule.timezone,
    options: schedule.options,
    enabled: schedule.enabled,
    misfire: schedule.misfire,
    owner: schedule.owner,
    runAs: schedule.runAs,
    nextFireTimes: upcoming(schedule, count).map(iso),
    lastFire: last && {
      scheduledAt: iso(last.scheduledAt),
      firedAt: iso(last.firedAt),
      outcome: last.outcome,
      reason: last.reason,
      execution:
        last.executionId === null
          ? null
          : {
              id: last.executionId,
              // Null once retention has deleted it.
              state: schedule.lastExecutionState as ExecutionState | null,
            },
    },
    updatedAt: iso(schedule.updatedAt),
    updatedBy: schedule.updatedBy,
  };
}

/** What the schedule routes use of a running Baton. */
export interface ScheduleRoutesDeps {
  db: Db;
  access: AccessControl;
}

export function registerScheduleRoutes(app: HttpApp, baton: ScheduleRoutesDeps): void {
  app.get(
    '/api/v1/schedules',
    {
      config: { access: 'authenticated' },
      schema: {
        description: 'Schedules of the jobs the caller may view, with their next fire times and last fire.',
        querystring: z.object({
          project: z.string().optional(),
          job: z.string().optional().describe('only the schedules that run this job (with project)'),
          next: z.coerce.number().int().min(0).max(50).default(3).describe('how many next fire times'),
        }),
        response: { 200: schedulesResponse },
      },
    },
    async (request) => {
      const caller = principalOf(request);
      const { project, job, next } = request.query;
      // Seeing a schedule shows its job's name and option values: it takes `view` on the job.
      const schedules = (await listSchedules(baton.db, { project, job })).filter(
        (schedule) =>
          baton.access.authorize(caller, 'view', resources.job(schedule.project, schedule.job)).allowed,
      );
      return { schedules: schedules.map((schedule) => view(schedule, next)) };
    },
  );

  app.get(
    '/api/v1/schedules/:project/:name',
    {
      config: { access: 'authenticated' },
      schema: {
        description: 'One schedule, with its next fire times and last fire.',
        params: z.object({ project: z.string(), name: z.string() }),
        querystring: z.object({
          next: z.coerce.number().int().min(0).max(50).default(10).describe('how many next fire times'),
        }),
        response: { 200: scheduleResponse },
      },
    },
    async (request) => {
      const caller = principalOf(request);
      const { project, name } = request.params;
      const [schedule] = await listSchedules(baton.db, { project, name });
      const notFound = `schedule ${project}/${name} not found`;
      if (!schedule) throw new NotFoundError(notFound);
      baton.access.requireVisible(caller, 'view', resources.job(schedule.project, schedule.job), notFound);
      return { schedule: view(schedule, request.query.next) };
    },
  );
}
