/**
 * The job catalog: which jobs match a search, and how each has been doing lately (its last
 * execution, and the success rate and durations of what finished in a recent window). The
 * history of all listed jobs is read in three statements, however many jobs are listed.
 */
import type { Db } from '../../platform/db/database.js';
import type { ExecutionState } from '../executions/model.js';
import {
  countFinishedByJob,
  listFinishedDurations,
  listLastExecutions,
  type JobKey,
} from '../executions/store.js';
import { percentile } from '../../platform/percentile.js';
import type { Job } from './model.js';

/** The window of the catalog's statistics. */
export const HISTORY_WINDOW_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * Durations read at most for the percentiles of one listing: newest first, so a very busy
 * catalog gets percentiles of its recent runs instead of a request that reads every row.
 */
export const MAX_DURATION_ROWS = 50_000;

/** `key=value` label selectors: a job matches when it has every one. */
export function matchesLabels(labels: Record<string, string>, selectors: readonly string[]): boolean {
  return selectors.every((selector) => {
    const at = selector.indexOf('=');
    return labels[selector.slice(0, at)] === selector.slice(at + 1);
  });
}

export interface JobHistory {
  lastExecution: { id: number; state: ExecutionState; finishedAt: Date | null } | null;
  stats: {
    /** Executions that finished in the window, in any terminal state. */
    executions: number;
    /**
     * Succeeded of those that succeeded, failed or timed out; cancelled and rejected runs say
     * nothing about whether the job works (the usage statistics count the same way). Null when
     * none was judged.
     */
    successRate: number | null;
    /** Nearest-rank percentiles of how long they ran, in ms; null when none ran. */
    p50Ms: number | null;
    p95Ms: number | null;
  };
}

const keyOf = (job: JobKey) => `${job.project}/${job.name}`;

/** Each job's history, keyed `project/name`, as of `now`. */
export async function readJobHistory(
  db: Db,
  jobs: readonly Pick<Job, 'project' | 'name'>[],
  now: number,
): Promise<Map<string, JobHistory>> {
  const since = now - HISTORY_WINDOW_MS;
  const [last, counts, durations] = await Promise.all([
    listLastExecutions(db, jobs),
    countFinishedByJob(db, jobs, since),
    listFinishedDurations(db, jobs, since, MAX_DURATION_ROWS),
  ]);
  const lastByJob = new Map(last.map((row) => [keyOf(row), row]));
  const countsByJob = new Map(counts.map((row) => [keyOf(row), row]));
  const durationsByJob = new Map<string, number[]>();
  for (const row of durations) {
    const list = durationsByJob.get(keyOf(row));
    if (list) list.push(row.ms);
    else durationsByJob.set(keyOf(row), [row.ms]);
  }
  const history = new Map<string, JobHistory>();
  for (const job of jobs) {
    const key = keyOf(job);
    const lastExecution = lastByJob.get(key);
    const count = countsByJob.get(key);
    const ms = (durationsByJob.get(key) ?? []).sort((a, b) => a - b);
    history.set(key, {
      lastExecution: lastExecution
        ? { id: lastExecution.id, state: lastExecution.state, finishedAt: lastExecution.finishedAt }
        : null,
      stats: {
        executions: count?.finished ?? 0,
        successRate: count && count.judged > 0 ? count.succeeded / count.judged : null,
        p50Ms: percentile(ms, 50),
        p95Ms: percentile(ms, 95),
      },
    });
  }
  return history;
}
