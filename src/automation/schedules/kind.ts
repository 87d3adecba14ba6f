/**
 * Schedules in `baton apply`: `kind: Schedule` documents, and the `spec.schedules` of a job
 * (which the Job kind saves through the functions here). Applying a schedule needs `edit` on it
 * and `run` on the job it runs, because its executions run with someone's permissions; naming
 * someone else in `runAs` needs `admin` on the job. Option values are checked against the job's
 * option types now, and again at every fire.
 */
import { resources, type Principal } from '../../access/model.js';
import { knownSubjects } from '../../access/subjects.js';
import type { Db } from '../../platform/db/database.js';
import type {
  DocumentKind,
  KindPlan,
  PlanProblem,
  RequiredPermission,
} from '../../platform/documents/apply.js';
import { digestOf } from '../../platform/canonical-json.js';
import type { FieldPath, SourceDocument } from '../../platform/documents/source.js';
import { InputError } from '../../platform/errors.js';
import { didYouMean } from '../../platform/suggest.js';
import type { JobDocument, JobSpec } from '../jobs/model.js';
import { resolveOptions } from '../jobs/options.js';
import { getJob, listJobNames } from '../jobs/store.js';
import { jobScheduleName, scheduleDocument, type JobScheduleSpec, type ScheduleDocument } from './model.js';
import {
  deleteJobSchedules,
  deleteSchedule,
  getSchedule,
  listScheduleDocumentNames,
  listScheduleDocumentsOfJob,
  saveSchedule,
} from './store.js';

/** Problems with option values for a job, located under `at` (`spec.options`). */
export function optionProblems(
  spec: Pick<JobSpec, 'options'>,
  options: Record<string, unknown>,
  document: SourceDocument,
  at: FieldPath,
): PlanProblem[] {
  try {
    resolveOptions(spec.options ?? [], options);
    return [];
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return error.problems.map((problem) => {
      const name = problem.path?.replace(/^options\./, '').replace(/\[\d+\]$/, '');
      const given = name !== undefined && name in options;
      return {
        document,
        path: given ? [...at, name] : at,
        // `spec.options.keep: invalid value`, but `spec.options: options.target: is required`.
        message:
          given && problem.path === `options.${name}`
            ? problem.message
            : `${problem.path ?? 'options'}: ${problem.message}`,
        expected: problem.expected,
        // The apply service quotes what was found itself: hand it the value, not its description.
        found: given ? options[name] : undefined,
      };
    });
  }
}

/** `runAs` must name a user or service account that exists. */
async function runAsProblems(
  db: Db,
  named: readonly { runAs: string; document: SourceDocument; path: FieldPath }[],
): Promise<PlanProblem[]> {
  if (named.length === 0) return [];
  const known = await knownSubjects(db);
  const everyone = [...known.users, ...known.services];
  return named
    .filter(({ runAs }) => !known.users.has(runAs) && !known.services.has(runAs))
    .map(({ runAs, document, path }) => ({
      document,
      path,
      message: `unknown user or service account "${runAs}"${didYouMean(runAs, everyone)}`,
      expected: 'an existing user or service account',
    }));
}

/**
 * `run` on the job, `admin` on it to run as someone else, and `run` on each secret path the
 * schedule picks for a `secret` option (as `baton run` would need of whoever picks it).
 */
function schedulePermissions(
  project: string,
  job: string,
  jobSpec: Pick<JobSpec, 'options'> | undefined,
  schedule: { options: Record<string, unknown>; runAs?: string | undefined },
  actor: Principal,
  paths: { job: FieldPath; fields: FieldPath },
): RequiredPermission[] {
  const at = paths.fields;
  const needs: RequiredPermission[] = [
    { action: 'run', resource: resources.job(project, job), path: paths.job },
  ];
  if (schedule.runAs !== undefined && schedule.runAs !== actor.name) {
    needs.push({ action: 'admin', resource: resources.job(project, job), path: [...at, 'runAs'] });
  }
  for (const option of jobSpec?.options ?? []) {
    const value = schedule.options[option.name];
    if (option.type === 'secret' && typeof value === 'string') {
      needs.push({ action: 'run', resource: resources.secret(value), path: [...at, 'options', option.name] });
    }
  }
  return needs;
}

export const scheduleKind: DocumentKind<ScheduleDocument> = {
  kind: 'Schedule',
  schema: scheduleDocument,
  identify: (document) => ({ scope: document.metadata.project, name: document.metadata.name }),
  resource: (project, name) => resources.schedule(project, name),
  load: async (db, project, name) => {
    const schedule = await getSchedule(db, project, name);
    if (!schedule || schedule.definedByJob !== null) return undefined;
    const document: ScheduleDocument = {
      apiVersion: 'baton/v1',
      kind: 'Schedule',
      metadata: {
        name: schedule.name,
        project: schedule.project,
        ...(schedule.description ? { description: schedule.description } : {}),
      },
      spec: {
        job: schedule.job,
        cron: schedule.cron,
        timezone: schedule.timezone,
        options: schedule.options,
        enabled: schedule.enabled,
        misfire: schedule.misfire,
        ...(schedule.runAs !== null ? { runAs: schedule.runAs } : {}),
      },
    };
    return { digest: schedule.digest, document };
  },
  names: listScheduleDocumentNames,
  check: async (db, plan) => {
    const problems: PlanProblem[] = [];
    const plannedJobs = new Map(
      plan.planned('Job').map((job) => [`${job.scope}/${job.name}`, (job.value as JobDocument).spec]),
    );
    for (const { source, value, scope } of plan.documents) {
      const spec =
        plannedJobs.get(`${scope}/${value.spec.job}`) ?? (await getJob(db, scope, value.spec.job))?.spec;
      if (!spec) {
        const known = [
          ...(await listJobNames(db, scope)),
          ...plan
            .planned('Job')
            .filter((job) => job.scope === scope)
            .map((job) => job.name),
        ];
        problems.push({
          document: source,
          path: ['spec', 'job'],
          message: `unknown job "${value.spec.job}" in project ${scope}${didYouMean(value.spec.job, known)}`,
          expected: 'a job of the same project, stored or applied with the schedule',
        });
        continue;
      }
      problems.push(...optionProblems(spec, value.spec.options, source, ['spec', 'options']));
    }
    problems.push(
      ...(await runAsProblems(
        db,
        plan.documents.flatMap(({ source, value }) =>
          value.spec.runAs === undefined
            ? []
            : [{ runAs: value.spec.runAs, document: source, path: ['spec', 'runAs'] }],
        ),
      )),
    );
    return problems;
  },
  // Secret options are checked against the stored job; a job applied together with the schedule
  // has its secret options checked at every fire, against the owner.
  requires: async (db, document, _stored, actor) => {
    const job = await getJob(db, document.metadata.project, document.spec.job);
    return schedulePermissions(
      document.metadata.project,
      document.spec.job,
      job?.spec,
      document.spec,
      actor,
      {
        job: ['spec', 'job'],
        fields: ['spec'],
      },
    );
  },
  save: (db, document, context) =>
    saveSchedule(db, {
      project: document.metadata.project,
      name: document.metadata.name,
      job: document.spec.job,
      definedByJob: null,
      description: document.metadata.description ?? null,
      cron: document.spec.cron,
      timezone: document.spec.timezone,
      options: document.spec.options,
      enabled: document.spec.enabled,
      misfire: document.spec.misfire,
      runAs: document.spec.runAs ?? null,
      owner: document.spec.runAs ?? context.actor,
      source: context.source,
      digest: context.digest,
      actor: context.actor,
      now: context.now,
    }),
  remove: deleteSchedule,
};

// ---------------------------------------------------------------------------------------------
// `spec.schedules` on a job

function entriesOf(spec: JobSpec): JobScheduleSpec[] {
  return spec.schedules ?? [];
}

/**
 * Part of the Job kind's check: names of a job's schedules are unique, their option values fit
 * the job, `runAs` exists; a job that Schedule documents run cannot be deleted, nor changed so
 * that their option values no longer fit.
 */
export async function jobScheduleProblems(db: Db, plan: KindPlan<JobDocument>): Promise<PlanProblem[]> {
  const problems: PlanProblem[] = [];
  const runAs: { runAs: string; document: SourceDocument; path: FieldPath }[] = [];
  for (const { source, value } of plan.documents) {
    const seen = new Set<string>();
    entriesOf(value.spec).forEach((entry, index) => {
      const at = ['spec', 'schedules', index];
      const name = jobScheduleName(value.metadata.name, entry, index);
      if (seen.has(name)) {
        problems.push({
          document: source,
          path: [...at, 'name'],
          message: `duplicate schedule name "${name}"`,
        });
      }
      seen.add(name);
      problems.push(...optionProblems(value.spec, entry.options, source, [...at, 'options']));
      if (entry.runAs !== undefined)
        runAs.push({ runAs: entry.runAs, document: source, path: [...at, 'runAs'] });
    });
    // Schedule documents not in this apply keep their options: the job must still accept them.
    const planned = new Set(plan.planned('Schedule').map((schedule) => `${schedule.scope}/${schedule.name}`));
    for (const schedule of await listScheduleDocumentsOfJob(
      db,
      value.metadata.project,
      value.metadata.name,
    )) {
      if (planned.has(`${schedule.project}/${schedule.name}`)) continue;
      for (const problem of optionProblems(value.spec, schedule.options, source, ['spec', 'options'])) {
        problems.push({
          ...problem,
          message: `schedule ${schedule.project}/${schedule.name} runs this job with options it would no longer accept: ${problem.message}`,
        });
      }
    }
  }
  problems.push(...(await runAsProblems(db, runAs)));
  for (const deletion of plan.deletions) {
    for (const schedule of await listScheduleDocumentsOfJob(db, deletion.scope, deletion.name)) {
      problems.push({
        message: `cannot delete job ${deletion.scope}/${deletion.name}: schedule ${schedule.project}/${schedule.name} runs it (delete the schedule first)`,
      });
    }
  }
  return problems;
}

/** Part of the Job kind's `requires`: what each of its schedules needs of the applier. */
export function jobSchedulePermissions(document: JobDocument, actor: Principal): RequiredPermission[] {
  return entriesOf(document.spec).flatMap((entry, index) => {
    const at = ['spec', 'schedules', index];
    return schedulePermissions(
      document.metadata.project,
      document.metadata.name,
      document.spec,
      entry,
      actor,
      {
        job: at,
        fields: at,
      },
    );
  });
}

/** Saves the schedules a job defines and removes those it no longer does; runs in the apply's transaction. */
export async function saveJobSchedules(
  db: Db,
  document: JobDocument,
  context: { source: string; actor: string; now: number },
): Promise<void> {
  const { project, name: job } = document.metadata;
  const names: string[] = [];
  for (const [index, entry] of entriesOf(document.spec).entries()) {
    const name = jobScheduleName(job, entry, index);
    names.push(name);
    await saveSchedule(db, {
      project,
      name,
      job,
      definedByJob: job,
      description: null,
      cron: entry.cron,
      timezone: entry.timezone,
      options: entry.options,
      enabled: entry.enabled,
      misfire: entry.misfire,
      runAs: entry.runAs ?? null,
      owner: entry.runAs ?? context.actor,
      source: context.source,
      digest: digestOf(entry),
      actor: context.actor,
      now: context.now,
    });
  }
  await deleteJobSchedules(db, project, job, names);
}

/** Removes every schedule a deleted job defined. */
export function removeJobSchedules(db: Db, project: string, job: string): Promise<void> {
  return deleteJobSchedules(db, project, job);
}
