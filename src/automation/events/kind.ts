/**
 * Hooks and rules in `baton apply`. Applying a hook needs `edit` on it and `run` on the secret
 * holding its key (so `edit` on a project is not a way to learn a key's use). Applying a rule
 * needs `edit` on it, `run` on the job it fires (its executions run with someone's permissions),
 * `admin` on that job to name someone else in `runAs`, and `view` on a job it watches.
 */
import { resources, type Principal } from '../../access/model.js';
import { existingSecretPaths } from '../../access/secrets/store.js';
import { knownSubjects } from '../../access/subjects.js';
import type { Db } from '../../platform/db/database.js';
import type { DocumentKind, PlanProblem, RequiredPermission } from '../../platform/documents/apply.js';
import { didYouMean } from '../../platform/suggest.js';
import type { JobDocument, JobSpec } from '../jobs/model.js';
import { getJob, listJobNames } from '../jobs/store.js';
import {
  hookAuth,
  hookDocument,
  ruleDocument,
  ruleJob,
  ruleTrigger,
  type HookDocument,
  type RuleDocument,
} from './model.js';
import {
  deleteHook,
  deleteRule,
  getHookRow,
  getRule,
  listHookNames,
  listRuleNames,
  listRules,
  saveHook,
  saveRule,
} from './store.js';

export const hookKind: DocumentKind<HookDocument> = {
  kind: 'Hook',
  schema: hookDocument,
  identify: (document) => ({ scope: document.metadata.project, name: document.metadata.name }),
  resource: (project, name) => resources.hook(project, name),
  load: async (db, project, name) => {
    const row = await getHookRow(db, project, name);
    if (!row) return undefined;
    const auth = { secret: row.secret_path };
    const document: HookDocument = {
      apiVersion: 'baton/v1',
      kind: 'Hook',
      metadata: { name, project, ...(row.description ? { description: row.description } : {}) },
      spec: {
        format: row.format as HookDocument['spec']['format'],
        auth: row.auth === 'hmac' ? { hmac: auth } : { token: auth },
        maxBytes: row.max_bytes,
      },
    };
    return { digest: row.digest, document };
  },
  names: listHookNames,
  check: async (db, plan) => {
    const problems: PlanProblem[] = [];
    const paths = plan.documents.map(({ value }) => hookAuth(value.spec).secret);
    const existing = await existingSecretPaths(db, [...new Set(paths)]);
    for (const { source, value } of plan.documents) {
      const auth = hookAuth(value.spec);
      if (!existing.has(auth.secret)) {
        problems.push({
          document: source,
          path: ['spec', 'auth', auth.kind, 'secret'],
          message: `unknown secret "${auth.secret}"`,
          expected: 'a secret that exists (baton secrets set PATH)',
        });
      }
    }
    // A rule must not be left listening to a hook that is gone.
    const deletedRules = new Set(plan.planned('Rule').map((rule) => `${rule.scope}/${rule.name}`));
    for (const deletion of plan.deletions) {
      for (const rule of await listRules(db, { project: deletion.scope })) {
        if (rule.trigger === `hook:${deletion.name}` && !deletedRules.has(`${rule.project}/${rule.name}`)) {
          problems.push({
            message: `cannot delete hook ${deletion.scope}/${deletion.name}: rule ${rule.project}/${rule.name} listens to it (delete the rule first)`,
          });
        }
      }
    }
    return problems;
  },
  requires: async (_db, document) => {
    const auth = hookAuth(document.spec);
    return [
      { action: 'run', resource: resources.secret(auth.secret), path: ['spec', 'auth', auth.kind, 'secret'] },
    ];
  },
  save: (db, document, context) => {
    const auth = hookAuth(document.spec);
    return saveHook(db, {
      project: document.metadata.project,
      name: document.metadata.name,
      description: document.metadata.description ?? null,
      format: document.spec.format,
      auth: auth.kind,
      secretPath: auth.secret,
      maxBytes: document.spec.maxBytes,
      ...context,
    });
  },
  remove: deleteHook,
};

/** The job spec a rule names: planned in this apply, or stored. */
async function findJobSpec(
  db: Db,
  planned: Map<string, JobSpec>,
  job: { project: string; name: string },
): Promise<JobSpec | undefined> {
  return planned.get(`${job.project}/${job.name}`) ?? (await getJob(db, job.project, job.name))?.spec;
}

async function unknownJobProblem(
  db: Db,
  planned: Map<string, JobSpec>,
  job: { project: string; name: string },
  document: PlanProblem['document'],
  path: PlanProblem['path'],
): Promise<PlanProblem> {
  const known = [
    ...(await listJobNames(db, job.project)),
    ...[...planned.keys()]
      .filter((key) => key.startsWith(`${job.project}/`))
      .map((key) => key.split('/')[1]!),
  ];
  return {
    document,
    path,
    message: `unknown job ${job.project}/${job.name}${didYouMean(job.name, known)}`,
    expected: "a job that exists, or is applied with the rule (NAME in the rule's project, or PROJECT/NAME)",
  };
}

export const ruleKind: DocumentKind<RuleDocument> = {
  kind: 'Rule',
  schema: ruleDocument,
  identify: (document) => ({ scope: document.metadata.project, name: document.metadata.name }),
  resource: (project, name) => resources.rule(project, name),
  load: async (db, project, name) => {
    const rule = await getRule(db, project, name);
    if (!rule) return undefined;
    const document: RuleDocument = {
      apiVersion: 'baton/v1',
      kind: 'Rule',
      metadata: { name, project, ...(rule.description ? { description: rule.description } : {}) },
      spec: rule.spec,
    };
    return { digest: rule.digest, document };
  },
  names: listRuleNames,
  check: async (db, plan) => {
    const problems: PlanProblem[] = [];
    const plannedJobs = new Map(
      plan.planned('Job').map((job) => [`${job.scope}/${job.name}`, (job.value as JobDocument).spec]),
    );
    const plannedHooks = new Set(plan.planned('Hook').map((hook) => `${hook.scope}/${hook.name}`));
    const runAs: { name: string; source: PlanProblem['document'] }[] = [];
    for (const { source, value, scope } of plan.documents) {
      const { spec } = value;
      if ('hook' in spec.on) {
        const hook = spec.on.hook;
        if (!plannedHooks.has(`${scope}/${hook}`) && !(await getHookRow(db, scope, hook))) {
          const known = [...(await listHookNames(db, scope))];
          problems.push({
            document: source,
            path: ['spec', 'on', 'hook'],
            message: `unknown hook "${hook}" in project ${scope}${didYouMean(hook, known)}`,
            expected: 'a hook of the same project, stored or applied with the rule',
          });
        }
      } else if ('execution' in spec.on) {
        const watched = ruleJob(scope, spec.on.execution.job);
        if (!(await findJobSpec(db, plannedJobs, watched))) {
          problems.push(
            await unknownJobProblem(db, plannedJobs, watched, source, ['spec', 'on', 'execution', 'job']),
          );
        }
      }
      const target = ruleJob(scope, spec.job);
      const jobSpec = await findJobSpec(db, plannedJobs, target);
      if (!jobSpec) {
        problems.push(await unknownJobProblem(db, plannedJobs, target, source, ['spec', 'job']));
      } else {
        const names = new Set((jobSpec.options ?? []).map((option) => option.name));
        for (const name of Object.keys(spec.options)) {
          if (!names.has(name)) {
            problems.push({
              document: source,
              path: ['spec', 'options', name],
              message: `job ${target.project}/${target.name} has no option "${name}"${didYouMean(name, [...names])}`,
              expected:
                names.size > 0 ? `one of ${[...names].join(', ')}` : 'no options (the job takes none)',
            });
          }
        }
      }
      if (spec.runAs !== undefined) runAs.push({ name: spec.runAs, source });
    }
    if (runAs.length > 0) {
      const known = await knownSubjects(db);
      for (const { name, source } of runAs) {
        if (!known.users.has(name) && !known.services.has(name)) {
          problems.push({
            document: source,
            path: ['spec', 'runAs'],
            message: `unknown user or service account "${name}"${didYouMean(name, [...known.users, ...known.services])}`,
            expected: 'an existing user or service account',
          });
        }
      }
    }
    return problems;
  },
  requires: async (db, document, _stored, actor: Principal) => {
    const { project } = document.metadata;
    const { spec } = document;
    const target = ruleJob(project, spec.job);
    const needs: RequiredPermission[] = [
      { action: 'run', resource: resources.job(target.project, target.name), path: ['spec', 'job'] },
    ];
    if (spec.runAs !== undefined && spec.runAs !== actor.name) {
      needs.push({
        action: 'admin',
        resource: resources.job(target.project, target.name),
        path: ['spec', 'runAs'],
      });
    }
    if ('execution' in spec.on) {
      const watched = ruleJob(project, spec.on.execution.job);
      // Its outcome and output become the rule's input: watching a job is seeing it.
      needs.push({
        action: 'view',
        resource: resources.job(watched.project, watched.name),
        path: ['spec', 'on', 'execution', 'job'],
      });
    }
    if ('slo' in spec.on) {
      // An SLO alert's fields (burn rates, budget left) become the rule's input: watching a
      // service's alerts is viewing the service. Without a service, or with a glob, the rule
      // watches every service a glob can reach, so it needs view on `service/*` (admins have it).
      const service = spec.on.slo.service;
      const literal = service !== undefined && !service.includes('*');
      needs.push({
        action: 'view',
        resource: resources.service(literal ? service : '*'),
        path: ['spec', 'on', 'slo', ...(service === undefined ? [] : ['service'])],
      });
    }
    // A secret picked literally for a `secret` option is the author's choice, authorized like a schedule's.
    const job = await getJob(db, target.project, target.name);
    for (const option of job?.spec.options ?? []) {
      const value = spec.options[option.name];
      if (option.type === 'secret' && typeof value === 'string' && !value.includes('{{')) {
        needs.push({
          action: 'run',
          resource: resources.secret(value),
          path: ['spec', 'options', option.name],
        });
      }
    }
    return needs;
  },
  save: (db, document, context) =>
    saveRule(db, {
      project: document.metadata.project,
      name: document.metadata.name,
      description: document.metadata.description ?? null,
      trigger: ruleTrigger(document.metadata.project, document.spec),
      spec: document.spec,
      runAs: document.spec.runAs ?? null,
      owner: document.spec.runAs ?? context.actor,
      enabled: document.spec.enabled,
      ...context,
    }),
  remove: deleteRule,
};
