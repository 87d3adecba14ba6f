/**
 * Schedules: a job run on a cron expression in a time zone, with option values, as an owner.
 * Written as `kind: Schedule` documents or as `spec.schedules` on a job (sugar for schedules the
 * job owns). The document schemas live here; the fire-time rules (misfire, grace) too.
 */
import { z } from 'zod';
import { resourceName } from '../../platform/documents/fields.js';
import { cronProblem, nextFireTime, timeZoneProblem } from './cron.js';
import { MISFIRE_POLICIES, type FireOutcome, type MisfirePolicy } from '../../contract/schedules.js';

// The API reports these too, so the lists live in the contract.
export {
  FIRE_OUTCOMES,
  MISFIRE_POLICIES,
  type FireOutcome,
  type MisfirePolicy,
} from '../../contract/schedules.js';

/**
 * A fire later than this is a misfire (the time passed while no server was up). Shorter
 * lateness is a busy or restarting server and fires normally: a rolling restart of the servers
 * takes seconds, and a schedule that fires a little late is what its owner wants, not a skip.
 */
export const MISFIRE_GRACE_MS = 30_000;

/** The fields a schedule has wherever it is written. */
const scheduleFields = {
  /** 5 fields, or 6 with seconds first. */
  cron: z.string(),
  /** IANA zone the expression is read in. */
  timezone: z.string().default('UTC'),
  /** Option values for the job, checked against its option types. */
  options: z.record(z.string(), z.unknown()).default({}),
  enabled: z.boolean().default(true),
  /** What to do about a time missed while no server ran: skip it, or run once for all missed times. */
  misfire: z.enum(MISFIRE_POLICIES).default('skip'),
  /** Whose permissions the executions run with; default: whoever applied the schedule. */
  runAs: resourceName.optional(),
};

/** Cron and zone problems at `spec.cron` and `spec.timezone`, with the column of a bad field. */
function checkTiming(value: { cron: string; timezone: string }, ctx: z.RefinementCtx): void {
  const zone = timeZoneProblem(value.timezone);
  if (zone) ctx.addIssue({ code: 'custom', path: ['timezone'], message: zone });
  const cron = cronProblem(value.cron);
  if (cron) ctx.addIssue({ code: 'custom', path: ['cron'], message: cron });
  if (!zone && !cron && nextFireTime(value.cron, value.timezone, Date.now()) === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['cron'],
      message: `"${value.cron}" never fires: no date matches it (such as February 30)`,
    });
  }
}

/** One entry of a job's `spec.schedules`. */
export const jobScheduleSpec = z
  .strictObject({
    /** Names the schedule `JOB.NAME`; without it, `JOB.N` by position (from 1). */
    name: resourceName.optional(),
    ...scheduleFields,
  })
  .superRefine(checkTiming);
export type JobScheduleSpec = z.output<typeof jobScheduleSpec>;

export const scheduleSpec = z
  .strictObject({
    /** A job of the same project. */
    job: resourceName,
    ...scheduleFields,
  })
  .superRefine(checkTiming);
export type ScheduleSpec = z.output<typeof scheduleSpec>;

export const scheduleDocument = z.strictObject({
  apiVersion: z.literal('baton/v1'),
  kind: z.literal('Schedule'),
  metadata: z.strictObject({
    name: resourceName,
    project: resourceName,
    description: z.string().optional(),
  }),
  spec: scheduleSpec,
});
export type ScheduleDocument = z.output<typeof scheduleDocument>;

/** The name of a schedule a job's `spec.schedules` defines: `backup.nightly`, or `backup.1`. */
export function jobScheduleName(job: string, entry: Pick<JobScheduleSpec, 'name'>, index: number): string {
  // A dot never occurs in a document name, so these cannot collide with Schedule documents.
  return `${job}.${entry.name ?? index + 1}`;
}

/** A schedule as stored: its definition, its owner, and its firing state. */
export interface Schedule {
  id: number;
  project: string;
  name: string;
  job: string;
  /** The job whose `spec.schedules` defines it; null for a Schedule document. */
  definedByJob: string | null;
  description: string | null;
  cron: string;
  timezone: string;
  options: Record<string, unknown>;
  enabled: boolean;
  misfire: MisfirePolicy;
  /** `spec.runAs` as written. */
  runAs: string | null;
  /** The user or service account the executions run as: `runAs`, or whoever applied it. */
  owner: string;
  /** When it fires next; null when disabled (or the expression has no future time). */
  nextFireAt: number | null;
  lastFire: {
    /** The time the fire was for. */
    scheduledAt: number;
    /** When a server handled it. */
    firedAt: number;
    outcome: FireOutcome;
    reason: string | null;
    executionId: number | null;
  } | null;
  digest: string;
  source: string;
  updatedAt: number;
  updatedBy: string;
}

/** What a due schedule does at `now`: fire, skip a misfire, and the reason written down. */
export function misfireDecision(
  schedule: Pick<Schedule, 'misfire'>,
  dueAt: number,
  now: number,
): { misfire: false } | { misfire: true; run: boolean; reason: string } {
  const late = now - dueAt;
  if (late <= MISFIRE_GRACE_MS) return { misfire: false };
  const missed = `missed ${new Date(dueAt).toISOString()} by ${Math.round(late / 1000)}s (no server was firing schedules)`;
  return schedule.misfire === 'runOnce'
    ? { misfire: true, run: true, reason: `${missed}; misfire: runOnce, so it runs once now` }
    : { misfire: true, run: false, reason: `${missed}; misfire: skip` };
}
