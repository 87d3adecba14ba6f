/** What a notification says about an execution: one JSON shape for every channel. */
import type { Execution } from '../executions/model.js';
import type { NotificationEvent } from './model.js';

/**
 * The execution as receivers see it. Options are sent as requested: a `secret` option's value is
 * a secret path, never the secret itself.
 */
export interface ExecutionPayload {
  id: number;
  project: string;
  job: string;
  state: Execution['state'];
  attempt: number;
  requestedBy: string;
  options: Record<string, unknown>;
  startedAt: string | null;
  finishedAt: string | null;
  exitCode: number | null;
  reason: string | null;
  /** Link to the execution in the web UI, filled in when sent; null when BATON_PUBLIC_URL is not set. */
  url: string | null;
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/** The payload of an execution as it is now (at the state change that notifies). */
export function executionPayload(execution: Execution): ExecutionPayload {
  return {
    id: execution.id,
    project: execution.project,
    job: execution.job,
    state: execution.state,
    attempt: execution.attempt,
    requestedBy: execution.requestedBy,
    options: execution.options,
    startedAt: iso(execution.startedAt),
    finishedAt: iso(execution.finishedAt),
    exitCode: execution.exitCode,
    reason: execution.reason,
    url: null,
  };
}

/** The web UI's page of the execution under the public URL, or null without one. */
export function executionUrl(publicUrl: string | undefined, id: number): string | null {
  return publicUrl ? `${publicUrl.replace(/\/+$/, '')}/executions/${id}` : null;
}

const HEADLINES: Record<NotificationEvent, string> = {
  started: 'started',
  succeeded: 'succeeded',
  failed: 'failed',
  timed_out: 'timed out',
  approval_needed: 'needs approval',
};

/** `ops/restart-web #42 failed`: the one-line summary used as Slack text and email subject. */
export function headline(event: NotificationEvent, execution: ExecutionPayload): string {
  return `${execution.project}/${execution.job} #${execution.id} ${HEADLINES[event]}`;
}

/** A few plain-text lines about the execution, for email bodies and Slack. */
export function describe(event: NotificationEvent, execution: ExecutionPayload): string[] {
  const options = Object.entries(execution.options);
  return [
    headline(event, execution),
    `Requested by: ${execution.requestedBy}`,
    `State: ${execution.state}${execution.attempt > 1 ? ` (attempt ${execution.attempt})` : ''}`,
    ...(options.length
      ? [`Options: ${options.map(([name, value]) => `${name}=${JSON.stringify(value)}`).join(', ')}`]
      : []),
    ...(execution.startedAt ? [`Started: ${execution.startedAt}`] : []),
    ...(execution.finishedAt ? [`Finished: ${execution.finishedAt}`] : []),
    ...(execution.exitCode !== null ? [`Exit code: ${execution.exitCode}`] : []),
    ...(execution.reason ? [`Reason: ${execution.reason}`] : []),
    ...(execution.url ? [`Details: ${execution.url}`] : []),
  ];
}
