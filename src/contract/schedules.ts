/** Schedules on the wire (`GET /api/v1/schedules[/:project/:name]`): definition, next fire times and last fire; the CLI and the web read it alike. */
import { z } from 'zod';
import { EXECUTION_STATES } from './execution-states.js';

/** What a schedule does with a fire time that passed while no server was up. */
export const MISFIRE_POLICIES = ['skip', 'runOnce'] as const;
export type MisfirePolicy = (typeof MISFIRE_POLICIES)[number];

/** What a due schedule did: queued an execution, skipped a missed time, or was refused. */
export const FIRE_OUTCOMES = ['queued', 'skipped_misfire', 'refused'] as const;
export type FireOutcome = (typeof FIRE_OUTCOMES)[number];

export const scheduleView = z.object({
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
export type ScheduleView = z.infer<typeof scheduleView>;

export const schedulesResponse = z.object({ schedules: z.array(scheduleView) });
export type SchedulesResponse = z.infer<typeof schedulesResponse>;

export const scheduleResponse = z.object({ schedule: scheduleView });
export type ScheduleResponse = z.infer<typeof scheduleResponse>;
