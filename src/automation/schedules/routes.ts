/**
 * Schedules over HTTP: list and read, with their next fire times and what their last fire did.
 * They are written with POST /api/v1/apply (a Schedule document, or `spec.schedules` on a job);
 * enabling and disabling is a change to the document too, so the YAML in version control stays
 * the truth about what runs when.
 */
import { z } from 'zod';
import type { Baton } from '../../app.js';
import { resources } from '../../access/model.js';
import type { HttpApp } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/access.js';
import { NotFoundError } from '../../platform/errors.js';
import { EXECUTION_STATES, type ExecutionState } from '../executions/model.js';
import { nextFireTimes } from './cron.js';
import { FIRE_OUTCOMES, MISFIRE_POLICIES, type Schedule } from './model.js';
import { listSchedules } from './store.js';

const scheduleView = z.object({
  project: z.string(),
  name: z.string(),
  job: z.string().describe('the job it runs, in the same project'),
  definedByJob: z
    .string()
    .nullable()
    .describe('the job whose spec.schedules defines it; null for a kind: Schedule document'),
  description: z.string().nullable(),
  cron: z.string(),
  timezone: z.string(),
  options: z.record(z.string(), z.unknown()),
  enabled: z.boolean(),
  misfire: z.enum(MISFIRE_POLICIES),
  owner: z.string().describe('the user or service account its executions run as'),
  runAs: z.string().nullable().describe('spec.runAs as written; without it the owner is whoever applied it'),
  nextFireTimes: z
    .array(z.string())
    .describe(
      'the next fire times, soonest first; empty while disabled. The first may be past while a server fires it',
    ),
  lastFire: z
    .object({
      scheduledAt: z.string(),
      firedAt: z.string(),
      outcome: z.enum(FIRE_OUTCOMES),
      reason: z.string().nullable().describe('why it was refused or skipped, or a note on a late run'),
      execution: z.object({ id: z.number(), state: z.enum(EXECUTION_STATES).nullable() }).nullable(),
    })
    .nullable(),
  updatedAt: z.string(),
  updatedBy: z.string(),
});

type ScheduleView = z.infer<typeof scheduleView>;

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

export function registerScheduleRoutes(app: HttpApp, baton: Pick<Baton, 'db' | 'access'>): void {
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
        response: { 200: z.object({ schedules: z.array(scheduleView) }) },
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
        response: { 200: z.object({ schedule: scheduleView }) },
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
