/** Job documents in `baton apply`: identity, storage, and the checks that span jobs. */
import { resources } from '../../access/model.js';
import { checkPlannedSubjects } from '../../access/subjects.js';
import { missingSecretProblems, secretPermissions } from '../secrets/references.js';
import { didYouMean } from '../../platform/suggest.js';
import type {
  DocumentKind,
  KindPlan,
  PlanProblem,
  RequiredPermission,
} from '../../platform/documents/apply.js';
import { jobDocument, parseJobReference, type Job, type JobDocument, type JobSpec } from './model.js';
import { ensureProject } from '../../access/projects/store.js';
import { deleteJob, getJobDigest, listJobNames, listJobSpecs, upsertJob } from './store.js';
import {
  jobSchedulePermissions,
  jobScheduleProblems,
  removeJobSchedules,
  saveJobSchedules,
} from '../schedules/kind.js';

/** The document form of a stored job, as `baton apply` would have received it. */
export function jobToDocument(job: Job): JobDocument {
  return {
    apiVersion: 'baton/v1',
    kind: 'Job',
    metadata: {
      name: job.name,
      project: job.project,
      ...(job.description ? { description: job.description } : {}),
      ...(Object.keys(job.labels).length ? { labels: job.labels } : {}),
    },
    spec: job.spec,
  };
}

function references(spec: JobSpec): { step: number; target: string }[] {
  return spec.steps.flatMap((step, index) => (step.job ? [{ step: index, target: step.job }] : []));
}

/**
 * Every `job:` step must name a job that will exist after the apply, and no chain of `job:`
 * steps may lead back to where it started.
 */
async function checkReferences(
  db: Parameters<DocumentKind<JobDocument>['load']>[0],
  plan: KindPlan<JobDocument>,
) {
  const problems: PlanProblem[] = [];
  const graph = new Map<string, string[]>();
  for (const job of await listJobSpecs(db))
    graph.set(
      `${job.project}/${job.name}`,
      references(job.spec).map((r) => r.target),
    );
  for (const deletion of plan.deletions) graph.delete(`${deletion.scope}/${deletion.name}`);
  for (const document of plan.documents) {
    graph.set(
      `${document.scope}/${document.name}`,
      references(document.value.spec).map((r) => r.target),
    );
  }
  const applied = new Set(plan.documents.map((document) => `${document.scope}/${document.name}`));

  for (const document of plan.documents) {
    for (const { step, target } of references(document.value.spec)) {
      if (!graph.has(target)) {
        problems.push({
          document: document.source,
          path: ['spec', 'steps', step, 'job'],
          message: `unknown job "${target}"`,
          expected: 'a job that exists or is applied together with this one',
        });
      }
    }
  }
  // A deletion must not leave other jobs pointing at nothing.
  for (const [job, targets] of graph) {
    if (applied.has(job)) continue;
    for (const target of targets) {
      if (!graph.has(target) && plan.deletions.some((d) => `${d.scope}/${d.name}` === target)) {
        problems.push({ message: `cannot delete job ${target}: job ${job} runs it in a step` });
      }
    }
  }

  // Depth-first search from every applied job; a grey node met again closes a cycle.
  const state = new Map<string, 'visiting' | 'done'>();
  const reported = new Set<string>();
  const visit = (job: string, trail: string[]): void => {
    state.set(job, 'visiting');
    for (const target of graph.get(job) ?? []) {
      if (state.get(target) === 'visiting') {
        const cycle = [...trail.slice(trail.indexOf(target)), job, target];
        const origin = plan.documents.find((document) => `${document.scope}/${document.name}` === job);
        const key = [...cycle].sort().join(' ');
        if (origin && !reported.has(key)) {
          reported.add(key);
          const step = origin.value.spec.steps.findIndex((candidate) => candidate.job === target);
          problems.push({
            document: origin.source,
            path: ['spec', 'steps', step, 'job'],
            message: `job references form a cycle: ${cycle.filter((_, i) => i === 0 || cycle[i - 1] !== cycle[i]).join(' → ')}`,
          });
        }
      } else if (!state.has(target) && graph.has(target)) {
        visit(target, [...trail, job]);
      }
    }
    state.set(job, 'done');
  };
  for (const job of applied) if (!state.has(job)) visit(job, []);
  return problems;
}

/**
 * Approvers must exist. And a job that requires approval cannot be a `job:` step: the nested
 * execution runs inside its parent's worker slot at once, so it could not wait for approvers.
 * Checked both ways: a step naming such a job, and a job gaining `approval` while another job
 * runs it in a step.
 */
async function checkApprovals(
  db: Parameters<DocumentKind<JobDocument>['load']>[0],
  plan: KindPlan<JobDocument>,
): Promise<PlanProblem[]> {
  const specs = new Map<string, JobSpec>();
  for (const job of await listJobSpecs(db)) specs.set(`${job.project}/${job.name}`, job.spec);
  for (const deletion of plan.deletions) specs.delete(`${deletion.scope}/${deletion.name}`);
  const applied = new Map(plan.documents.map((document) => [`${document.scope}/${document.name}`, document]));
  for (const [key, document] of applied) specs.set(key, document.value.spec);

  const withApproval = plan.documents.filter((document) => document.value.spec.approval);
  if (withApproval.length === 0 && ![...specs.values()].some((spec) => spec.approval)) return [];
  const problems = await checkPlannedSubjects(
    db,
    plan,
    withApproval.flatMap((document) => {
      const approvers = document.value.spec.approval!.approvers;
      return typeof approvers === 'string'
        ? [{ subject: approvers, document: document.source, path: ['spec', 'approval', 'approvers'] }]
        : approvers.map((subject, index) => ({
            subject,
            document: document.source,
            path: ['spec', 'approval', 'approvers', index],
          }));
    }),
  );
  for (const [parent, spec] of specs) {
    spec.steps.forEach((step, index) => {
      if (!step.job || !specs.get(step.job)?.approval) return;
      const parentDocument = applied.get(parent);
      const targetDocument = applied.get(step.job);
      if (parentDocument) {
        problems.push({
          document: parentDocument.source,
          path: ['spec', 'steps', index, 'job'],
          message: `job ${step.job} requires approval, so it cannot run as a step: a nested job starts at once in its parent's slot and cannot wait for approvers`,
          expected: 'a job without spec.approval (require the approval on this job instead)',
        });
      } else if (targetDocument) {
        problems.push({
          document: targetDocument.source,
          path: ['spec', 'approval'],
          message: `job ${parent} runs this job in its step "${step.name}"; a job run as a step cannot wait for approval`,
          expected: `no approval here, or an approval on ${parent} instead`,
        });
      }
    });
  }
  return problems;
}

/**
 * The service catalog as jobs see it. The catalog lives a floor above automation (reliability), so
 * jobs name what they need and src/app.ts hands in the catalog's implementation.
 */
export interface ServiceCatalog {
  /** The names of every service in the catalog, read through the apply's connection. */
  serviceNames(db: Parameters<DocumentKind<JobDocument>['load']>[0]): Promise<string[]>;
}

/** A job's `service` must be in the catalog or applied together with it. */
async function checkServices(
  catalog: ServiceCatalog,
  db: Parameters<DocumentKind<JobDocument>['load']>[0],
  plan: KindPlan<JobDocument>,
): Promise<PlanProblem[]> {
  const named = plan.documents.filter((document) => document.value.spec.service !== undefined);
  if (named.length === 0) return [];
  const known = new Set([
    ...(await catalog.serviceNames(db)),
    ...plan.planned('Service').map((service) => service.name),
  ]);
  return named
    .filter((document) => !known.has(document.value.spec.service!))
    .map((document) => ({
      document: document.source,
      path: ['spec', 'service'],
      message: `unknown service "${document.value.spec.service}"${didYouMean(document.value.spec.service!, known)}`,
      expected: 'a service in the catalog (kind: Service)',
    }));
}

/**
 * A `job:` step runs another job for whoever may run this one, so writing the step needs `run`
 * on that job: editing a project must not be a way around a policy on another project's job.
 * Likewise `workerGroup` sends the job's scripts to the machines of that group, which may hold
 * credentials of their own: choosing it needs `run` on `workergroup/NAME`.
 */
function placementPermissions(spec: JobSpec): RequiredPermission[] {
  const group: RequiredPermission[] = spec.workerGroup
    ? [{ action: 'run', resource: resources.workerGroup(spec.workerGroup), path: ['spec', 'workerGroup'] }]
    : [];
  return [
    ...group,
    ...spec.steps.flatMap((step, index) => {
      const target = step.job ? parseJobReference(step.job) : undefined;
      return target
        ? [
            {
              action: 'run' as const,
              resource: resources.job(target.project, target.name),
              path: ['spec', 'steps', index, 'job'],
            },
          ]
        : [];
    }),
  ];
}

/** Job documents, checked against the given service catalog. */
export const jobKind = (catalog: ServiceCatalog): DocumentKind<JobDocument> => ({
  kind: 'Job',
  schema: jobDocument,
  identify: (document) => ({ scope: document.metadata.project, name: document.metadata.name }),
  resource: (project, name) => resources.job(project, name),
  load: async (db, project, name) => {
    const stored = await getJobDigest(db, project, name);
    return stored && { digest: stored.digest, document: jobToDocument(stored.job) };
  },
  names: listJobNames,
  check: async (db, plan) => [
    ...(await checkReferences(db, plan)),
    ...(await checkServices(catalog, db, plan)),
    ...(await checkApprovals(db, plan)),
    ...(await missingSecretProblems(db, plan.documents)),
    ...(await jobScheduleProblems(db, plan)),
  ],
  // Using a secret in a job needs `run` on it: `edit` on a project must not be a way to read one.
  requires: async (db, document, _stored, actor) => [
    ...placementPermissions(document.spec),
    ...(await secretPermissions(db, document.spec)),
    // Its schedules run it as someone: whoever applies them must be allowed to run it.
    ...jobSchedulePermissions(document, actor),
  ],
  save: async (db, document, context) => {
    await ensureProject(db, document.metadata.project, context.now);
    await upsertJob(db, {
      project: document.metadata.project,
      name: document.metadata.name,
      description: document.metadata.description ?? '',
      labels: document.metadata.labels ?? {},
      spec: document.spec,
      source: context.source,
      digest: context.digest,
      actor: context.actor,
      now: context.now,
    });
    await saveJobSchedules(db, document, context);
  },
  remove: async (db, project, name) => {
    await removeJobSchedules(db, project, name);
    await deleteJob(db, project, name);
  },
});
