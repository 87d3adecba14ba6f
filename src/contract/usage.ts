/** `GET /api/v1/usage` on the wire: how operations were used in a window, by job, user and team. */
import { z } from 'zod';

/** Durations read at most for percentiles; beyond this the answer says `truncated: true`. */
export const MAX_DURATION_ROWS = 100_000;

const rate = z.number().nullable().describe('succeeded / (succeeded + failed + timed_out); null without any');

export const usageResponse = z.object({
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
export type UsageResponse = z.infer<typeof usageResponse>;
